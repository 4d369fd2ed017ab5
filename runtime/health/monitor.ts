// The monitor event's schedule and the node's health (CTDB 4.17 ctdb_monitor.c).
//
// Schedule: the first check runs START_INTERVAL s after monitoring starts; each check's result
// reschedules after `nextInterval` s, which then doubles, capped at MonitorInterval (2, 4, 8,
// 15, 15…). A health transition or a launch failure resets it to 5. A skipped check (recovery
// mode not NORMAL, node INACTIVE, runstate not RUNNING, all databases frozen) is simply
// rescheduled at the current interval.
//
// Result: ECANCELED → no change. ETIMEDOUT → counted; below MonitorTimeoutCount it is treated as
// "no change", at or above it as a failure; any other result resets the count. Failure while
// healthy → UNHEALTHY + notification `unhealthy`; success while unhealthy → healthy +
// notification `healthy`. On a flag change the flags are pushed to recoverd and a takeover run
// is asked of the leader.
import type { EventOutcome } from './event-gate.js';
import type { Clock, TimerHandle } from './clock.js';
import { ECANCELED, ETIMEDOUT } from './errno.js';

export const START_INTERVAL_S = 2;
export const TRANSITION_INTERVAL_S = 5;
export const LAUNCH_RETRY_S = 5;

export interface MonitorNodeState {
  recoveryModeIsNormal(): boolean;
  /** BANNED, STOPPED, DISCONNECTED or DELETED. */
  isInactive(): boolean;
  runstateIsRunning(): boolean;
  allDatabasesFrozen(): boolean;
}

export interface MonitorDeps {
  readonly clock: Clock;
  readonly node: MonitorNodeState;
  /** Starts the `monitor` event through the EventGate (so refusals come back as not started). */
  runMonitor(): Promise<EventOutcome>;
  /** Seconds; read at each use so `ctdb setvar` takes effect. */
  monitorInterval(): number;
  monitorTimeoutCount(): number;
  /** The node's own UNHEALTHY flag. */
  isUnhealthy(): boolean;
  setUnhealthy(unhealthy: boolean): void;
  /** PUSH_NODE_FLAGS to the own recoverd, then a TAKEOVER_RUN request (srvid 0) to all connected. */
  flagsChanged(nowUnhealthy: boolean): void;
  notify(event: 'healthy' | 'unhealthy'): void;
  readonly log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

export type MonitorTickResult =
  | 'skipped'
  | 'launch-failed'
  | 'cancelled'
  | 'timeout-ignored'
  | 'became-unhealthy'
  | 'became-healthy'
  | 'unchanged';

export class MonitorScheduler {
  private nextInterval = START_INTERVAL_S;
  private consecutiveTimeouts = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private generation = 0;
  /** Seconds until the pending check (for tests and `ctdb` diagnostics). */
  lastScheduledS: number | undefined;
  /** Called after each check with what it did (for tests and logs). */
  onTick: ((r: MonitorTickResult) => void) | undefined;

  constructor(private readonly deps: MonitorDeps) {}

  get interval(): number {
    return this.nextInterval;
  }

  get timeoutCount(): number {
    return this.consecutiveTimeouts;
  }

  /** After a successful `startup` event: the first check in 2 s. */
  start(): void {
    this.stop();
    this.running = true;
    this.nextInterval = START_INTERVAL_S;
    this.consecutiveTimeouts = 0;
    this.schedule(START_INTERVAL_S);
  }

  /** On shutdown. A check in flight finishes but schedules nothing. */
  stop(): void {
    this.running = false;
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
    this.lastScheduledS = undefined;
  }

  private schedule(seconds: number): void {
    this.timer?.cancel();
    this.lastScheduledS = seconds;
    const gen = this.generation;
    this.timer = this.deps.clock.after(seconds * 1000, () => {
      this.timer = undefined;
      if (gen === this.generation) void this.check(gen);
    });
  }

  private finish(r: MonitorTickResult): void {
    this.onTick?.(r);
  }

  private async check(gen: number): Promise<void> {
    const { node } = this.deps;
    if (
      !node.recoveryModeIsNormal() ||
      node.isInactive() ||
      !node.runstateIsRunning() ||
      node.allDatabasesFrozen()
    ) {
      this.schedule(this.nextInterval);
      this.finish('skipped');
      return;
    }
    let outcome: EventOutcome;
    try {
      outcome = await this.deps.runMonitor();
    } catch {
      outcome = { started: false, reason: 'runner-failed' };
    }
    if (gen !== this.generation || !this.running) return;
    if (!outcome.started) {
      this.deps.log.error('Unable to launch monitor event script');
      this.nextInterval = TRANSITION_INTERVAL_S;
      this.schedule(LAUNCH_RETRY_S);
      this.finish('launch-failed');
      return;
    }
    const result = this.applyResult(outcome.status);
    const thisInterval = this.nextInterval;
    this.nextInterval = Math.min(this.nextInterval * 2, this.deps.monitorInterval());
    this.schedule(thisInterval);
    if (result === 'became-healthy' || result === 'became-unhealthy') {
      const unhealthy = result === 'became-unhealthy';
      this.deps.log.info(
        `Node became ${unhealthy ? 'UNHEALTHY' : 'HEALTHY'}. Ask recovery master to reallocate IPs`,
      );
      this.deps.flagsChanged(unhealthy);
    }
    this.finish(result);
  }

  /** The health state machine for one monitor result (eventd's status). */
  private applyResult(status: number): MonitorTickResult {
    if (status === ECANCELED) {
      this.deps.log.warn('Monitoring event was cancelled');
      return 'cancelled';
    }
    if (status === ETIMEDOUT) {
      this.consecutiveTimeouts++;
      const limit = this.deps.monitorTimeoutCount();
      if (this.consecutiveTimeouts < limit) {
        this.deps.log.warn(
          `Monitor event timed out (${this.consecutiveTimeouts}/${limit}); treated as no change`,
        );
        return 'timeout-ignored';
      }
      this.deps.log.error(`Maximum monitor timeout count ${limit} reached. Making node unhealthy`);
    } else {
      this.consecutiveTimeouts = 0;
    }
    const unhealthy = this.deps.isUnhealthy();
    if (status !== 0 && !unhealthy) {
      this.deps.log.warn('monitor event failed - disabling node');
      this.deps.setUnhealthy(true);
      this.nextInterval = TRANSITION_INTERVAL_S;
      this.deps.notify('unhealthy');
      return 'became-unhealthy';
    }
    if (status === 0 && unhealthy) {
      this.deps.log.info('monitor event OK - node re-enabled');
      this.deps.setUnhealthy(false);
      this.nextInterval = TRANSITION_INTERVAL_S;
      this.deps.notify('healthy');
      return 'became-healthy';
    }
    return 'unchanged';
  }
}
