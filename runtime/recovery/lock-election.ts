// The cluster-lock election (CTDB 4.17 cluster_lock_election): with a cluster lock configured,
// the lock IS the election — whoever holds it leads.
//
// States (explicit, one at a time):
//   follower    no lock; `leader` is another node or UNKNOWN
//   contending  a take is in flight (helper started, no status byte yet)
//   leading     the lock is held; leader = self
//   ineligible  this node cannot lead (INACTIVE or no LEADER capability); holds nothing
//   stopped     stop() was called; nothing further happens
// Transitions:
//   elect(): ineligible if it cannot lead (releasing a held lock); leading stays leading (no
//            re-take, for stability); otherwise contending → leading on '0', else follower
//   loss rule: a held lock is lost ONLY when the helper goes away (EOF on its output or its
//            exit). Then: log "Cluster lock helper terminated", leading → follower with leader
//            UNKNOWN, and, if this node can still lead, the host forces an election.
//   standDown(): leading → follower/ineligible, releasing the lock (SIGTERM to the helper)
//   checkEligibility(): what the 1 s leader-broadcast timer does — a node that cannot lead
//            drops the role and the lock.
import { ClusterMutex, MutexStatus, type ClusterMutexOptions } from '../cluster-lock/index.js';
import { UNKNOWN_PNN } from '../protocol/constants.js';

export type LockElectionState = 'follower' | 'contending' | 'leading' | 'ineligible' | 'stopped';

/** The seam to the lock: ClusterMutex in the daemon. */
export interface MutexLike {
  readonly result: Promise<{ status: MutexStatus; detail?: string }>;
  readonly pid: number | undefined;
  release(): void;
  whenLost(): Promise<string>;
}

export interface LockElectionHost {
  readonly ownPnn: number;
  /** Not INACTIVE and holding the LEADER capability. */
  canBeLeader(): boolean;
  /**
   * force_election: SET_RECMODE ACTIVE on the active nodes, LEADER(UNKNOWN) broadcast, and
   * elect() again here (every node that sees LEADER(UNKNOWN) runs elect() too).
   */
  forceElection(reason: string): void;
  /** The leader as this node now knows it (self, or UNKNOWN while it has no lock). */
  leaderChanged?(leader: number): void;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

export interface LockElectionOptions {
  /** The helper command (helperArgv of the `cluster lock` setting). */
  readonly argv: readonly string[];
  /** Wait for the status byte: CTDB's recoverd waits 120 s. */
  readonly takeTimeoutMs?: number;
  /** How to start a take (tests may replace it; default ClusterMutex.take). */
  readonly take?: (o: ClusterMutexOptions) => MutexLike;
  readonly onStderr?: (line: string) => void;
}

export const LOCK_TAKE_TIMEOUT_MS = 120_000;

export type ElectionOutcome = 'leading' | 'follower' | 'ineligible' | 'stopped' | 'busy';

export class LockElection {
  private innerState: LockElectionState = 'follower';
  private mutex: MutexLike | undefined;
  private innerLeader = UNKNOWN_PNN;
  private epoch = 0;
  private inFlight: Promise<ElectionOutcome> | undefined;

  constructor(
    private readonly host: LockElectionHost,
    private readonly options: LockElectionOptions,
  ) {}

  get state(): LockElectionState {
    return this.innerState;
  }

  /** The leader from this node's point of view: self while it holds the lock. */
  get leader(): number {
    return this.innerLeader;
  }

  get holdsLock(): boolean {
    return this.innerState === 'leading';
  }

  /** The helper's pid while held or contending (for logs and tests). */
  get helperPid(): number | undefined {
    return this.mutex?.pid;
  }

  /** A LEADER broadcast from another node: adopt it unless we hold the lock. */
  adoptLeader(pnn: number): void {
    if (this.innerState === 'leading' || this.innerState === 'stopped') return;
    this.setLeader(pnn);
  }

  /** cluster_lock_election. Concurrent calls share the one in flight. */
  elect(): Promise<ElectionOutcome> {
    this.inFlight ??= this.runElection().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async runElection(): Promise<ElectionOutcome> {
    if (this.innerState === 'stopped') return 'stopped';
    if (!this.host.canBeLeader()) {
      this.drop('ineligible');
      return 'ineligible';
    }
    if (this.innerState === 'leading') {
      this.setLeader(this.host.ownPnn);
      return 'leading';
    }
    this.setLeader(UNKNOWN_PNN);
    this.innerState = 'contending';
    const epoch = ++this.epoch;
    const take = this.options.take ?? ((o: ClusterMutexOptions): MutexLike => ClusterMutex.take(o));
    const mutex = take({
      argv: this.options.argv,
      timeoutMs: this.options.takeTimeoutMs ?? LOCK_TAKE_TIMEOUT_MS,
      ...(this.options.onStderr !== undefined ? { onStderr: this.options.onStderr } : {}),
    });
    this.mutex = mutex;
    const r = await mutex.result;
    if (epoch !== this.epoch) {
      // Stood down or stopped while the take ran: whatever came back is not wanted.
      mutex.release();
      return this.state === 'stopped' ? 'stopped' : 'follower';
    }
    if (r.status !== MutexStatus.Held) {
      this.mutex = undefined;
      mutex.release();
      this.innerState = 'follower';
      const why =
        r.status === MutexStatus.Contended
          ? 'contention'
          : r.status === MutexStatus.Timeout
            ? 'timeout'
            : 'unknown error';
      const detail = r.detail !== undefined ? ` (${r.detail})` : '';
      this.host.log.info(`Unable to take cluster lock - ${why}${detail}`);
      return 'follower';
    }
    if (!this.host.canBeLeader()) {
      // Lost the right to lead while waiting: do not keep the lock.
      this.drop('ineligible');
      return 'ineligible';
    }
    this.innerState = 'leading';
    this.setLeader(this.host.ownPnn);
    this.host.log.info(`Took cluster lock, leader=${this.host.ownPnn}`);
    void mutex.whenLost().then((reason) => this.onLost(epoch, reason));
    return 'leading';
  }

  /** The loss rule: only the helper going away after '0' loses the lock. */
  private onLost(epoch: number, reason: string): void {
    if (epoch !== this.epoch || this.innerState !== 'leading') return;
    this.host.log.error(`Cluster lock helper terminated (${reason})`);
    this.mutex = undefined;
    this.epoch++;
    this.innerState = 'follower';
    this.setLeader(UNKNOWN_PNN);
    if (this.host.canBeLeader()) this.host.forceElection('cluster lock lost');
  }

  /** The leader-broadcast timer's check: a node that cannot lead drops the role and the lock. */
  checkEligibility(): void {
    if (this.innerState === 'stopped') return;
    if (!this.host.canBeLeader() && this.innerState !== 'ineligible') this.drop('ineligible');
    else if (this.host.canBeLeader() && this.innerState === 'ineligible')
      this.innerState = 'follower';
  }

  /** Gives up leadership and the lock (e.g. the sanity check found the lock not held). */
  standDown(reason: string): void {
    if (this.innerState === 'stopped') return;
    this.host.log.warn(`Standing down as leader: ${reason}`);
    this.drop(this.host.canBeLeader() ? 'follower' : 'ineligible');
  }

  /** On shutdown: releases the lock; nothing happens afterwards. */
  stop(): void {
    this.drop('stopped');
  }

  private drop(next: 'follower' | 'ineligible' | 'stopped'): void {
    this.epoch++;
    const m = this.mutex;
    this.mutex = undefined;
    const wasLeading = this.innerState === 'leading';
    if (m !== undefined)
      this.host.log.info(wasLeading ? 'Releasing cluster lock' : 'Cancelling cluster lock');
    m?.release();
    this.innerState = next;
    if (wasLeading || this.innerLeader === this.host.ownPnn) this.setLeader(UNKNOWN_PNN);
  }

  private setLeader(pnn: number): void {
    if (pnn === this.innerLeader) return;
    this.innerLeader = pnn;
    this.host.leaderChanged?.(pnn);
  }
}
