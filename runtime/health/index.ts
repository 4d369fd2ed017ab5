// Node health from events: the gate every event goes through, the start-of-life events and
// the monitor schedule with its health state machine.
export { realClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { ETIMEDOUT, ECANCELED } from './errno.js';
export { EventGate, EVENTS_ALLOWED_IN_RECOVERY, TIMEOUT_IS_SUCCESS } from './event-gate.js';
export type { EventGateDeps, EventOutcome, EventRunner } from './event-gate.js';
export { MonitorScheduler } from './monitor.js';
export type { MonitorDeps, MonitorNodeState, MonitorTickResult } from './monitor.js';
export { FatalEventError, runFatalEvent, StartupRetry, STARTUP_RETRY_S } from './lifecycle.js';
export type { StartupDeps } from './lifecycle.js';
