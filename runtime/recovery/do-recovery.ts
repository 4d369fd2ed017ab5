// The leader's recovery (CTDB 4.17 do_recovery plus the recovery helper's sequence, without the
// databases, which plug in through ClusterControls.recoverDatabases):
//   refresh the node map; stop unless still able to lead and leading; need_recovery := true;
//   refuse while recoveries are disabled (RerecoveryTimeout after each recovery); stop if an
//   election runs; ban misbehaving nodes; a configured but unheld cluster lock bans this node;
//   push every connected node's flags; then with a new random generation ≠ 1:
//   SET_RECMODE ACTIVE → START_RECOVERY → SETVNNMAP → databases → SET_RECMODE NORMAL →
//   END_RECOVERY on all active nodes; a takeover run; SRVID_RECONFIGURE to the connected
//   nodes; need_recovery := false; credits cleared; recoveries disabled for RerecoveryTimeout.
import { RecoveryMode } from '../protocol/constants.js';
import type { BanCredits } from '../banning/credits.js';
import type { Clock } from '../health/clock.js';
import { newGeneration } from './generation.js';
import { activeNodes, isDisconnected, isInactive, lmasterNodes } from './node-sets.js';
import type { NodeEntry, VnnMap } from './types.js';

/**
 * The controls a recovery sends, as the daemon's recoverd implements them over its client
 * connection. Each multi-node call rejects if any target fails (that aborts the recovery).
 */
export interface ClusterControls {
  /** GET_NODEMAP from the local daemon. */
  getNodemap(): Promise<readonly NodeEntry[]>;
  /** GET_CAPABILITIES from each node listed. */
  getCapabilities(pnns: readonly number[]): Promise<ReadonlyMap<number, number>>;
  /** MODIFY_FLAGS {pnn, flags} to every connected node. */
  pushFlags(pnn: number, flags: number): Promise<void>;
  /** SET_BAN_STATE {pnn, seconds} to node pnn. */
  banNode(pnn: number, seconds: number): Promise<void>;
  setRecoveryMode(pnns: readonly number[], mode: number): Promise<void>;
  /** START_RECOVERY: each node runs `startrecovery`. */
  startRecovery(pnns: readonly number[]): Promise<void>;
  setVnnmap(pnns: readonly number[], vnnmap: VnnMap): Promise<void>;
  /**
   * Hook for the database recovery (spec §5.3 step 9: freeze, transaction with tid = generation,
   * pull, wipe, push, commit, thaw). The default wiring may resolve at once until databases exist.
   */
  recoverDatabases(ctx: { generation: number; active: readonly number[] }): Promise<void>;
  /** END_RECOVERY: each node runs `recovered`. */
  endRecovery(pnns: readonly number[]): Promise<void>;
  /** The takeover run (§7.2); resolves false when it failed. */
  takeoverRun(nodemap: readonly NodeEntry[]): Promise<boolean>;
  /** SRVID_RECONFIGURE to the connected nodes. */
  broadcastReconfigure(): Promise<void>;
}

export interface RecovererDeps {
  readonly ownPnn: number;
  readonly clock: Clock;
  readonly controls: ClusterControls;
  readonly credits: BanCredits;
  /** Is this node the leader now, and may it lead (not INACTIVE, LEADER capability)? */
  isLeader(): boolean;
  canLead(nodemap: readonly NodeEntry[]): boolean;
  electionInProgress(): boolean;
  readonly clusterLock: { readonly configured: boolean; held(): boolean };
  rerecoveryTimeout(): number;
  recoveryBanPeriod(): number;
  random?: () => number;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

export type RecoveryResult =
  | { readonly outcome: 'recovered'; readonly generation: number; readonly vnnmap: VnnMap }
  | {
      readonly outcome:
        | 'not-leader'
        | 'recoveries-disabled'
        | 'election-in-progress'
        | 'banned-self'
        | 'lock-not-held'
        | 'leadership-lost'
        | 'failed';
      readonly detail: string;
    };

class LeadershipLost extends Error {}

export class Recoverer {
  /** Set when a recovery starts, cleared when one completes: the main loop retries while set. */
  needRecovery = false;
  /** Set when a takeover run failed; the main loop retries it. */
  needTakeoverRun = false;
  private disabledUntilMs = 0;
  private readonly disabledBy = new Map<number, number>();
  private running: Promise<RecoveryResult> | undefined;

  constructor(private readonly deps: RecovererDeps) {}

  /** True while RerecoveryTimeout runs or anybody disabled recoveries (SRVID_DISABLE_RECOVERIES). */
  recoveriesDisabled(): boolean {
    const now = this.deps.clock.now();
    if (now < this.disabledUntilMs) return true;
    for (const until of this.disabledBy.values()) if (now < until) return true;
    return false;
  }

  /**
   * A node that has just won the leadership recovers at once: the RerecoveryTimeout left from
   * its previous term is for its own recoveries back then, not for the cluster it now leads.
   * Recoveries disabled on request (SRVID_DISABLE_RECOVERIES) stay disabled.
   */
  leadershipGained(): void {
    this.disabledUntilMs = 0;
  }

  /** SRVID_DISABLE_RECOVERIES {pnn, srvid, timeout}: per requester, the latest timeout counts. */
  disableRecoveries(requester: number, seconds: number): void {
    this.disabledBy.set(requester, this.deps.clock.now() + seconds * 1000);
  }

  /** Bans every node with credits ≥ 2 × nodes; true if this node banned itself. */
  async banMisbehaving(nodeCount: number): Promise<boolean> {
    let self = false;
    for (const { pnn, credits } of this.deps.credits.takeBans(nodeCount)) {
      const period = this.deps.recoveryBanPeriod();
      this.deps.log.warn(
        `Node ${pnn} reached ${credits} banning credits - banning it for ${period} seconds`,
      );
      try {
        await this.deps.controls.banNode(pnn, period);
      } catch (err) {
        this.deps.log.error(`Failed to ban node ${pnn}: ${(err as Error).message}`);
      }
      if (pnn === this.deps.ownPnn) self = true;
    }
    return self;
  }

  /** One recovery at a time: a call during a recovery waits for it. */
  doRecovery(reason: string): Promise<RecoveryResult> {
    this.running ??= this.recover(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  private async recover(reason: string): Promise<RecoveryResult> {
    const { deps } = this;
    const { controls, log } = deps;
    let nodemap = await controls.getNodemap();
    if (!deps.canLead(nodemap) || !deps.isLeader())
      return { outcome: 'not-leader', detail: 'this node is no longer the leader' };
    this.needRecovery = true;
    if (this.recoveriesDisabled()) {
      log.info('Unable to begin - recoveries are disabled');
      return { outcome: 'recoveries-disabled', detail: 'recoveries are disabled' };
    }
    if (deps.electionInProgress())
      return { outcome: 'election-in-progress', detail: 'an election is in progress' };
    log.info(`Starting do_recovery (${reason})`);
    if (await this.banMisbehaving(nodemap.length))
      return { outcome: 'banned-self', detail: 'this node banned itself' };
    if (deps.clusterLock.configured && !deps.clusterLock.held()) {
      if (!deps.isLeader()) {
        // Banning may have moved the leadership: then this is not our recovery any more.
        this.needRecovery = false;
        return { outcome: 'not-leader', detail: 'leader changed while banning' };
      }
      log.error('Cluster lock not held - banning this node');
      await controls.banNode(deps.ownPnn, deps.recoveryBanPeriod()).catch(() => undefined);
      return { outcome: 'lock-not-held', detail: 'Cluster lock not held' };
    }

    const generation = newGeneration(deps.random);
    try {
      nodemap = await controls.getNodemap();
      const connected = nodemap.filter((n) => !isDisconnected(n.flags)).map((n) => n.pnn);
      const capabilities = await controls.getCapabilities(connected);
      for (const n of nodemap) {
        if (isDisconnected(n.flags)) continue;
        try {
          await controls.pushFlags(n.pnn, n.flags);
        } catch (err) {
          // A node that is inactive anyway does not stop the recovery.
          if (!isInactive(n.flags)) throw err;
          log.warn(`Unable to update flags on inactive node ${n.pnn}`);
        }
      }
      const active = activeNodes(nodemap).map((n) => n.pnn);
      const members = lmasterNodes(nodemap, capabilities);
      const vnnmap: VnnMap = {
        generation,
        map: members.length > 0 ? members : [deps.ownPnn],
      };
      const step = async (what: string, run: () => Promise<void>): Promise<void> => {
        if (!deps.isLeader()) throw new LeadershipLost(`leadership changed before ${what}`);
        await run();
        log.info(what);
      };
      await step('Set recovery mode to ACTIVE', () =>
        controls.setRecoveryMode(active, RecoveryMode.ACTIVE),
      );
      await step('Recovery has started', () => controls.startRecovery(active));
      await step('updated VNNMAP', () => controls.setVnnmap(active, vnnmap));
      await step('databases recovered', () => controls.recoverDatabases({ generation, active }));
      await step('Recovery mode set to NORMAL', () =>
        controls.setRecoveryMode(active, RecoveryMode.NORMAL),
      );
      await step('Recovery has finished', () => controls.endRecovery(active));
      log.info(`Recovery complete (generation ${generation})`);

      if (!(await controls.takeoverRun(nodemap))) {
        log.error('Unable to setup public takeover addresses');
        this.needTakeoverRun = true;
      } else this.needTakeoverRun = false;
      await controls.broadcastReconfigure();
      this.needRecovery = false;
      deps.credits.reset();
      const rerecovery = deps.rerecoveryTimeout();
      this.disabledUntilMs = deps.clock.now() + rerecovery * 1000;
      log.info(`New recoveries suppressed for the rerecovery timeout (${rerecovery} seconds)`);
      return { outcome: 'recovered', generation, vnnmap };
    } catch (err) {
      const detail = (err as Error).message;
      log.error(`Recovery failed: ${detail}`);
      return { outcome: err instanceof LeadershipLost ? 'leadership-lost' : 'failed', detail };
    }
  }
}
