// Leader election without a cluster lock (CTDB's message election), the 1 s leader broadcast
// and the leader timeout. States: `leader` (a PNN or UNKNOWN) and `inProgress`. Rules:
// - every second the leader broadcasts LEADER(self); a node that cannot lead drops the role;
// - every LEADER message restarts the leader timeout; LEADER(UNKNOWN) means an election runs;
// - the timeout firing forces an election: recovery mode ACTIVE everywhere, LEADER(UNKNOWN),
//   our ELECTION message to all nodes, and an election round of ElectionTimeout (0.5 s fast);
// - on another node's ELECTION we either answer with ours (we would win) or accept the sender;
// - win rule: a node that cannot lead loses; against an INACTIVE sender we win; otherwise the
//   earlier priority time (longest running) wins, then the higher PNN.
// With a cluster lock configured the lock is the election (CTDB 4.17 cluster_lock_election):
// forcing an election, or hearing LEADER(UNKNOWN), makes every eligible node try the lock;
// the holder leads and broadcasts. Unlike CTDB, a node that lost the race retries every
// half second while nobody leads (instead of waiting a whole leader timeout), and the loss of
// the leader's connection starts an election at once: that is what makes failover fast.
import { NODE_FLAGS_INACTIVE, UNKNOWN_PNN } from '../protocol/constants.js';
import type { Logger } from '../logging/index.js';

export interface ElectionData {
  readonly numConnected: number;
  readonly priorityTime: number;
  readonly pnn: number;
  readonly nodeFlags: number;
}

/** What the election needs from the daemon. */
export interface ElectionHost {
  readonly selfPnn: number;
  /** Not INACTIVE and holding the LEADER capability. */
  canBeLeader(): boolean;
  selfFlags(): number;
  numConnected(): number;
  sendElection(data: ElectionData): void;
  sendLeaderBroadcast(pnn: number): void;
  /** Sets recovery mode ACTIVE on all active nodes, so the election is followed by a recovery. */
  setRecoveryActiveEverywhere(): void;
  /** Called when an election round ends (the leader may then start a recovery). */
  electionFinished(leader: number): void;
}

/** The cluster-lock election as this module drives it (runtime/recovery LockElection). */
export interface LockElector {
  readonly holdsLock: boolean;
  elect(): Promise<'leading' | 'follower' | 'ineligible' | 'stopped' | 'busy'>;
  checkEligibility(): void;
  adoptLeader(pnn: number): void;
  stop(): void;
}

export interface ElectionTimings {
  /** `[cluster] leader timeout` in seconds. */
  leaderTimeout(): number;
  /** ElectionTimeout tunable in seconds. */
  electionTimeout(): number;
  /** Test mode: election rounds of 0.5 s and a short first leader timeout. */
  readonly fastStart: boolean;
}

export class LeaderElection {
  leader = UNKNOWN_PNN;
  inProgress = false;
  /** Start time of this node's election role; reset while INACTIVE so such nodes lose ties. */
  priorityTime = Date.now();
  private broadcastTimer: NodeJS.Timeout | undefined;
  private leaderTimer: NodeJS.Timeout | undefined;
  private electionTimer: NodeJS.Timeout | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Lock attempts lost in a row while nobody leads. */
  private lockRetries = 0;
  private first = true;
  private stopped = false;

  constructor(
    private readonly host: ElectionHost,
    private readonly timings: ElectionTimings,
    private readonly log: Logger,
    /** Set when a cluster lock is configured: the lock decides who leads. */
    private readonly lock?: LockElector,
  ) {}

  start(): void {
    this.stopped = false;
    this.broadcastTimer = setInterval(() => this.broadcastTick(), 1000);
    this.restartLeaderTimeout();
    if (this.lock !== undefined && this.host.canBeLeader()) {
      // With a lock there is nothing to wait for: try it quietly at once (no recovery mode
      // change, no LEADER(UNKNOWN)), so a joining node cannot disturb a cluster that has a
      // leader; if one exists it holds the lock and we simply lose.
      this.inProgress = true;
      this.lockElection();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of [this.leaderTimer, this.electionTimer, this.sendTimer, this.retryTimer])
      clearTimeout(t);
    clearInterval(this.broadcastTimer);
    this.lock?.stop();
  }

  /** A node's connection went away: if it was the leader, elect a new one now. */
  nodeDisconnected(pnn: number): void {
    if (this.stopped || pnn !== this.leader || pnn === this.host.selfPnn) return;
    this.log.notice(`Leader node ${pnn} disconnected - starting an election`);
    this.leader = UNKNOWN_PNN;
    this.forceElection();
  }

  /** True while this node holds the cluster lock (always false without one). */
  get holdsLock(): boolean {
    return this.lock?.holdsLock === true;
  }

  /** Called every loop while this node is INACTIVE. */
  touchPriority(): void {
    this.priorityTime = Date.now();
  }

  ourData(): ElectionData {
    const can = this.host.canBeLeader();
    return {
      numConnected: can ? this.host.numConnected() : 0,
      priorityTime: can ? this.priorityTime : Date.now(),
      pnn: this.host.selfPnn,
      nodeFlags: this.host.selfFlags(),
    };
  }

  /** True if this node beats the sender of `em`. */
  wouldWin(em: ElectionData): boolean {
    if (!this.host.canBeLeader()) return false;
    if ((em.nodeFlags & NODE_FLAGS_INACTIVE) !== 0) return true;
    const mine = this.ourData();
    if (em.priorityTime !== mine.priorityTime) return em.priorityTime > mine.priorityTime;
    return mine.pnn > em.pnn;
  }

  private broadcastTick(): void {
    if (this.checkRole()) return;
    if (this.leader === this.host.selfPnn && !this.inProgress)
      this.host.sendLeaderBroadcast(this.host.selfPnn);
  }

  /**
   * Drops the leader role when this node may no longer hold it (banned, stopped, LEADER
   * capability removed, lock gone), and starts the election at once so the others need not
   * wait for the leader timeout. Called every second and whenever our flags or capabilities
   * change. True when the role was dropped.
   */
  checkRole(): boolean {
    if (this.stopped) return false;
    this.lock?.checkEligibility();
    if (this.leader !== this.host.selfPnn) return false;
    let why: string | undefined;
    if (!this.host.canBeLeader()) why = 'This node can no longer be leader';
    else if (this.lock !== undefined && !this.lock.holdsLock && !this.inProgress)
      why = 'This node no longer holds the cluster lock';
    if (why === undefined) return false;
    this.log.notice(`${why}, dropping the leader role`);
    this.leader = UNKNOWN_PNN;
    this.forceElection();
    return true;
  }

  private restartLeaderTimeout(): void {
    clearTimeout(this.leaderTimer);
    if (this.stopped) return;
    let seconds = this.timings.leaderTimeout();
    // On a cold start nobody may be broadcasting yet; a leader that exists is heard within a
    // second, so in fast-start mode do not wait the full timeout before the first election.
    if (this.first && this.timings.fastStart) seconds = Math.min(seconds, 1.2);
    this.first = false;
    this.leaderTimer = setTimeout(() => this.onLeaderTimeout(), seconds * 1000);
  }

  private onLeaderTimeout(): void {
    this.leaderTimer = undefined;
    if (!this.host.canBeLeader() && (this.host.selfFlags() & NODE_FLAGS_INACTIVE) !== 0) {
      // An inactive node does not start elections; keep watching.
      this.restartLeaderTimeout();
      return;
    }
    this.log.notice('Leader broadcast timeout');
    this.forceElection();
  }

  /** A LEADER broadcast arrived (from any node, ourselves included). */
  onLeaderBroadcast(pnn: number): void {
    clearTimeout(this.leaderTimer);
    this.leaderTimer = undefined;
    if (pnn === this.leader) {
      if (!this.inProgress) this.restartLeaderTimeout();
      return;
    }
    if (pnn === UNKNOWN_PNN) {
      const was = this.inProgress;
      this.inProgress = true;
      // With a lock, LEADER(UNKNOWN) is the only call to the election: try the lock.
      if (this.lock !== undefined && !was) this.lockElection();
      return;
    }
    if (this.lock?.holdsLock === true && pnn !== this.host.selfPnn) {
      // We hold the lock: another claimant is wrong; our own broadcast corrects it.
      this.log.warning(`Ignoring leader broadcast from ${pnn} - this node holds the cluster lock`);
      this.restartLeaderTimeout();
      return;
    }
    this.log.notice(`Received leader broadcast, leader=${pnn}`);
    this.leader = pnn;
    this.lockRetries = 0;
    this.lock?.adoptLeader(pnn);
    if (pnn !== this.host.selfPnn) this.inProgress = false;
    if (!this.inProgress) this.restartLeaderTimeout();
  }

  forceElection(): void {
    if (this.inProgress) return;
    this.log.error('Start election');
    this.host.setRecoveryActiveEverywhere();
    this.inProgress = true;
    this.host.sendLeaderBroadcast(UNKNOWN_PNN);
    if (this.lock !== undefined) {
      this.lockElection();
      return;
    }
    this.armElectionTimer();
    this.sendOurs();
  }

  /** One try at the cluster lock; the holder leads, the others retry while nobody leads. */
  private lockElection(): void {
    const lock = this.lock;
    if (lock === undefined || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.leader = UNKNOWN_PNN;
    void lock.elect().then((outcome) => {
      if (this.stopped) return;
      if (outcome === 'leading') {
        this.lockRetries = 0;
        this.leader = this.host.selfPnn;
        this.inProgress = false;
        this.host.sendLeaderBroadcast(this.host.selfPnn);
        this.restartLeaderTimeout();
        this.host.electionFinished(this.leader);
        return;
      }
      this.inProgress = false;
      this.restartLeaderTimeout();
      if (outcome === 'follower' && this.leader === UNKNOWN_PNN) {
        // Someone else holds the lock but has not said so yet, or a dead leader's helper has
        // not let go: look again shortly rather than after a whole leader timeout.
        // Quick retries first (a dead leader's helper lets go within moments), then slower
        // ones, so a node cut off from the lock holder does not spawn helpers all the time.
        this.lockRetries++;
        const delay = this.lockRetries <= 4 ? 500 : 2000;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (this.leader === UNKNOWN_PNN && !this.inProgress) {
            this.inProgress = true;
            this.lockElection();
          }
        }, delay);
      }
    });
  }

  private sendOurs(): void {
    this.leader = this.host.selfPnn; // optimistic, as CTDB does
    this.host.sendElection(this.ourData());
  }

  private armElectionTimer(): void {
    clearTimeout(this.electionTimer);
    const ms = this.timings.fastStart ? 500 : this.timings.electionTimeout() * 1000;
    this.electionTimer = setTimeout(() => this.onElectionOver(), ms);
  }

  /** Another node's ELECTION message (ignored with a cluster lock, as CTDB does). */
  onElectionMessage(em: ElectionData): void {
    if (em.pnn === this.host.selfPnn || this.lock !== undefined) return;
    this.inProgress = true;
    clearTimeout(this.leaderTimer);
    this.leaderTimer = undefined;
    this.armElectionTimer();
    if (this.wouldWin(em)) {
      if (this.sendTimer === undefined) {
        this.sendTimer = setTimeout(() => {
          this.sendTimer = undefined;
          // Sending our claim re-opens the round, so objections to it are still heard.
          this.inProgress = true;
          clearTimeout(this.leaderTimer);
          this.leaderTimer = undefined;
          this.armElectionTimer();
          this.sendOurs();
        }, 500);
      }
      return;
    }
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    this.leader = em.pnn;
  }

  private onElectionOver(): void {
    this.electionTimer = undefined;
    if (this.sendTimer !== undefined) {
      // Our own claim is still due: the round is not over until it has been heard.
      return;
    }
    this.inProgress = false;
    this.log.notice(`Election period ended, leader=${this.leader}`);
    this.restartLeaderTimeout();
    this.host.electionFinished(this.leader);
  }
}
