// How ctdbd starts an event and reads its result (CTDB 4.17 ctdb_event_script_args and the
// async run-done wrapper): the argument-count check, the refusal while in recovery, and the
// timeouts that are turned into success.
import { EVENTS, type EventName } from '../../lib/eventscript/events.js';
import { RecoveryMode } from '../protocol/constants.js';
import { ETIMEDOUT } from './errno.js';

/** Events ctdbd still starts while the recovery mode is ACTIVE. */
export const EVENTS_ALLOWED_IN_RECOVERY: ReadonlySet<EventName> = new Set<EventName>([
  'init',
  'setup',
  'startrecovery',
  'shutdown',
  'releaseip',
  'ipreallocated',
]);

/** A hung script in these events is logged and ignored: the event counts as a success. */
export const TIMEOUT_IS_SUCCESS: ReadonlySet<EventName> = new Set<EventName>([
  'startrecovery',
  'recovered',
  'takeip',
  'releaseip',
]);

/** The daemon's side of running an event: send it to eventd and wait for its result. */
export interface EventRunner {
  /** Resolves with eventd's result: 0, ETIMEDOUT, ECANCELED, ENOEXEC, … */
  run(event: EventName, args: readonly string[]): Promise<number>;
}

export interface EventGateDeps {
  readonly runner: EventRunner;
  /** The node's current recovery mode (RecoveryMode.NORMAL / ACTIVE). */
  recoveryMode(): number;
  readonly log: { warn(msg: string): void; error(msg: string): void };
}

export type EventOutcome =
  | { readonly started: false; readonly reason: 'bad-arguments' | 'in-recovery' | 'runner-failed' }
  /** status: 0 success; otherwise eventd's result after the timeout mapping. */
  | { readonly started: true; readonly status: number; readonly timedOut: boolean };

export class EventGate {
  constructor(private readonly deps: EventGateDeps) {}

  async run(event: EventName, args: readonly string[] = []): Promise<EventOutcome> {
    if (args.length !== EVENTS[event].args.length) {
      this.deps.log.error(`Bad event script arguments '${args.join(' ')}' for '${event}'`);
      return { started: false, reason: 'bad-arguments' };
    }
    if (
      this.deps.recoveryMode() !== RecoveryMode.NORMAL &&
      !EVENTS_ALLOWED_IN_RECOVERY.has(event)
    ) {
      this.deps.log.error(`Refusing to run event '${event}' while in recovery`);
      return { started: false, reason: 'in-recovery' };
    }
    let status: number;
    try {
      status = await this.deps.runner.run(event, args);
    } catch (err) {
      this.deps.log.error(`Failed to run event '${event}': ${(err as Error).message}`);
      return { started: false, reason: 'runner-failed' };
    }
    const timedOut = status === ETIMEDOUT;
    if (timedOut && TIMEOUT_IS_SUCCESS.has(event)) {
      this.deps.log.warn(`Ignoring hung script for ${event} event`);
      return { started: true, status: 0, timedOut };
    }
    return { started: true, status, timedOut };
  }
}
