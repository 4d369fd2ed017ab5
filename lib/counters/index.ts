// Failure counters for eventscripts: CTDB's unary `ctdb_counter_*` files and the
// `failcount_*` threshold logic with its messages.
export { counterFile, counterInit, counterIncr, counterGet, counterExists } from './counter.js';
export {
  Failcount,
  failcountName,
  warningIntervalSeconds,
  type FailcountOptions,
  type FailcountOutcome,
  type WarningInterval,
} from './failcount.js';
