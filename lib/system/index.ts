// System accessors: /proc and /sys, memory and filesystem utilisation, and the percentage
// threshold engine of 05.system.
export { getProc, getProcMaybe, setProc, setProcMaybe, PROC_ROOT } from './proc.js';
export { parseMemInfo, readMemInfo, memoryUsagePercent, type MemInfo } from './meminfo.js';
export { filesystemUsagePercent, mountPointOf } from './fs-usage.js';
export {
  checkThresholds,
  validPercentage,
  thresholdCacheFile,
  type ThresholdCheck,
  type ThresholdOutcome,
} from './thresholds.js';
