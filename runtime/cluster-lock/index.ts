// The cluster lock, parent side: what ctdbd's leader election uses.
export { ClusterMutex } from './mutex.js';
export type { ClusterMutexOptions, ClusterMutexState, LossReason, TakeResult } from './mutex.js';
export { MutexStatus, describeStatus } from './status.js';
export {
  parseClusterLockSetting,
  helperArgv,
  ourHelperCommand,
  scriptHelperCommand,
} from './setting.js';
export type { ClusterLockSetting, OurHelper } from './setting.js';
export { checkLockDuringRecovery, RECMODE_CHECK_TIMEOUT_MS } from './recmode-check.js';
export type { RecmodeLockCheck } from './recmode-check.js';
export * from './errors.js';
