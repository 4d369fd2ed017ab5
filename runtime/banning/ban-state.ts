// The ban as the banned node applies it (CTDB 4.17 ctdb_control_set_ban_state / ctdb_ban_node):
// SET_BAN_STATE {pnn, time} is sent to the node being banned. time 0 lifts the ban. With
// EnableBans = 0 the request is accepted and ignored. A ban sets BANNED, (re)starts a timer of
// `time` seconds and, when the node was not banned already, makes it inactive. When the timer
// fires the node is banned again if its databases are not all frozen, else BANNED is cleared
// (recovery then re-admits it).
import type { Clock, TimerHandle } from '../health/clock.js';

export class BanStateError extends Error {
  override name = 'BanStateError';
}

export interface BanStateDeps {
  readonly clock: Clock;
  readonly ownPnn: number;
  /** Tunable EnableBans (0 = ignore ban requests). */
  enableBans(): number;
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
      throw new BanStateError(`SET_BAN_STATE for node ${pnn} sent to node ${this.deps.ownPnn}`);
    if (this.deps.enableBans() === 0) {
      this.deps.log.info(`Bans are disabled - ignoring ban of node ${pnn}`);
      return 'ignored';
    }
    if (seconds === 0) {
      if (!this.banned) return 'not-banned';
      this.deps.log.info('Unbanning this node');
      this.clear();
      return 'unbanned';
    }
    const wasBanned = this.banned;
    this.deps.log.info(`Banning this node for ${seconds} seconds`);
    this.arm(seconds);
    this.deps.setBanned(true);
    if (wasBanned) return 'extended';
    this.deps.becomeInactive();
    return 'banned';
  }

  private arm(seconds: number): void {
    this.timer?.cancel();
    this.bannedUntilMs = this.deps.clock.now() + seconds * 1000;
    this.timer = this.deps.clock.after(seconds * 1000, () => this.expired(seconds));
  }

  private expired(seconds: number): void {
    this.timer = undefined;
    if (!this.deps.allDatabasesFrozen()) {
      this.deps.log.warn('Databases are not all frozen at the end of the ban - banning again');
      this.arm(seconds);
      return;
    }
    this.deps.log.info('Banning timed out');
    this.clear();
  }

  private clear(): void {
    this.timer?.cancel();
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
