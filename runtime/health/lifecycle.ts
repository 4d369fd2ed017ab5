// The start-of-life events and what their results mean (CTDB 4.17 ctdb_daemon.c / ctdb_monitor.c):
// `init` and `setup` failing (a timeout included) stop the daemon; `startup` is retried every
// 5 s without limit until it succeeds (waiting 1 s at a time until the runstate is STARTUP),
// and its success starts monitoring.
import type { Clock, TimerHandle } from './clock.js';
import type { EventGate } from './event-gate.js';

export const STARTUP_RETRY_S = 5;

/** init or setup failed: the daemon must exit (CTDB's ctdb_die). */
export class FatalEventError extends Error {
  override name = 'FatalEventError';
  constructor(readonly event: 'init' | 'setup') {
    super(`Failed to run ${event} event`);
  }
}

/**
 * Runs `init` or `setup`; throws FatalEventError on any failure (including a refusal or a
 * timeout). On success sends the notification of the same name.
 */
export async function runFatalEvent(
  gate: EventGate,
  event: 'init' | 'setup',
  notify: (event: 'init' | 'setup') => void,
): Promise<void> {
  const outcome = await gate.run(event);
  if (!outcome.started || outcome.status !== 0) throw new FatalEventError(event);
  notify(event);
}

export interface StartupDeps {
  readonly clock: Clock;
  readonly gate: EventGate;
  /**
   * Runstate ≥ STARTUP (the first recovery is done). Until then the attempt waits 1 s, so
   * `startup` does not collide with the first takeover run's `ipreallocated`.
   */
  readyForStartup(): boolean;
  /** Runstate RUNNING, notification `startup`, CONTROL_STARTUP broadcast, monitor start. */
  onSuccess(): void;
  readonly log: { warn(msg: string): void };
}

/** Runs `startup` until it succeeds, 5 s between attempts. */
export class StartupRetry {
  private timer: TimerHandle | undefined;
  private stopped = false;
  attempts = 0;

  constructor(private readonly deps: StartupDeps) {}

  /** The first attempt, once the first recovery has completed. */
  start(): void {
    this.stopped = false;
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    if (!this.deps.readyForStartup()) {
      this.timer = this.deps.clock.after(1000, () => void this.attempt());
      return;
    }
    this.attempts++;
    const outcome = await this.deps.gate.run('startup');
    if (this.stopped) return;
    if (outcome.started && outcome.status === 0) {
      this.deps.onSuccess();
      return;
    }
    this.deps.log.warn(`startup event failed; retrying in ${STARTUP_RETRY_S} s`);
    this.timer = this.deps.clock.after(STARTUP_RETRY_S * 1000, () => void this.attempt());
  }
}
