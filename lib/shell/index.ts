// Process helpers for eventscripts: `run` for one program with typed failures, and zx's `$`
// bound to a hook's signal and logger for ad-hoc commands.
export { run, runAllowingFailure, type RunOptions, type RunResult } from './run.js';
export { boundShell, type BoundShell, type ShellBinding } from './zx.js';
