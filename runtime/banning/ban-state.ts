// The ban as the banned node applies it (CTDB 4.17 ctdb_control_set_ban_state / ctdb_ban_node):
// SET_BAN_STATE {pnn, time} is sent to the node being banned. Any running ban timer is dropped
// first. time 0 then clears BANNED. With EnableBans = 0 the request is accepted and ignored
// (as in CTDB, a ban already running then keeps its flag but loses its timer, until an unban).
// A ban sets BANNED, starts a timer of `time` seconds and, when the node was not banned
// already, makes it inactive. When the timer fires the node bans itself again for
// RecoveryBanPeriod if its databases are not all frozen, else BANNED is cleared (recovery then
// re-admits it).
import type { Clock, TimerHandle } from '../health/clock.js';

export class BanStateError extends Error {
  override name = 'BanStateError';
}

export interface BanStateDeps {
  readonly clock: Clock;
  readonly ownPnn: number;
  /** Tunable EnableBans (0 = ignore ban requests). */
  enableBans(): number;
  /** Tunable RecoveryBanPeriod: the length of a self-ban. */
  recoveryBanPeriod(): number;
  /** Sets or clears the BANNED flag on this node's own entry. */
  setBanned(banned: boolean): void;
  /**
   * The become-inactive actions: vnnmap and database generations := INVALID (1), recovery
   * mode := ACTIVE, freeze every database (asynchronously), release all public IPs.
   */
  becomeInactive(): void;
  allDatabasesFrozen(): boolean;
  readonly log: { info(msg: string): void; warn(msg: string): void };
}

export type BanRequestResult = 'banned' | 'extended' | 'unbanned' | 'not-banned' | 'ignored';

export class BanState {
  private timer: TimerHandle | undefined;
  private bannedUntilMs: number | undefined;

  constructor(private readonly deps: BanStateDeps) {}

  get banned(): boolean {
    return this.bannedUntilMs !== undefined;
  }

  /** Seconds of ban left (0 if not banned). */
  remainingS(): number {
    if (this.bannedUntilMs === undefined) return 0;
    return Math.max(0, Math.ceil((this.bannedUntilMs - this.deps.clock.now()) / 1000));
  }

  /** The SET_BAN_STATE control. Throws BanStateError when addressed to another node. */
  setBanState(pnn: number, seconds: number): BanRequestResult {
    if (pnn !== this.deps.ownPnn)
      throw new BanStateError(`SET_BAN_STATE control for PNN ${pnn} ignored`);
    const alreadyBanned = this.timer !== undefined;
    this.timer?.cancel();
    this.timer = undefined;
    if (seconds === 0) {
      this.deps.log.info('Unbanning this node');
      const was = this.bannedUntilMs !== undefined;
      this.bannedUntilMs = undefined;
      if (!was) return 'not-banned';
      this.deps.setBanned(false);
      return 'unbanned';
    }
    if (this.deps.enableBans() === 0) {
      this.deps.log.info(`Bans are disabled - ignoring ban of node ${pnn}`);
      return 'ignored';
    }
    this.deps.log.info(`Banning this node for ${seconds} seconds`);
    this.bannedUntilMs = this.deps.clock.now() + seconds * 1000;
    this.deps.setBanned(true);
    this.timer = this.deps.clock.after(seconds * 1000, () => this.expired());
    if (alreadyBanned) return 'extended';
    this.deps.becomeInactive();
    return 'banned';
  }

  /** CTDB's ctdb_ban_self: a ban of RecoveryBanPeriod on this node. */
  banSelf(): BanRequestResult {
    return this.setBanState(this.deps.ownPnn, this.deps.recoveryBanPeriod());
  }

  private expired(): void {
    if (!this.deps.allDatabasesFrozen()) {
      this.deps.log.warn(
        'Banning timed out, but not all databases frozen yet - banning this node again.',
      );
      this.banSelf();
      return;
    }
    this.deps.log.info('Banning timed out');
    this.timer = undefined;
    this.bannedUntilMs = undefined;
    this.deps.setBanned(false);
  }

  /** On shutdown. */
  dispose(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
