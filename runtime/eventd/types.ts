// What one script run produces, in the terms CTDB stores and reports (common/run_event.c).
import { Errno } from './errno.js';

/** One script's stored outcome. Times are wall-clock milliseconds. */
export interface ScriptOutcome {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
  /**
   * 0 OK, >0 the exit status, -ETIMEDOUT timed out, -ENOEXEC disabled, -EINTR killed by a
   * signal, another negative errno: could not run.
   */
  readonly result: number;
  /** Everything the script printed, or null when it printed nothing. */
  readonly output: string | null;
}

/** The outcome of one event in one component, as the status store keeps it. */
export interface EventOutcome {
  /** 0, or the (last) failing script's result. */
  readonly summary: number;
  readonly scripts: readonly ScriptOutcome[];
}

/** How one script run ended, before it is stamped with name and times. */
export interface RunResult {
  readonly result: number;
  readonly output: string | null;
  /** Set when the script timed out and its process is still running (exec scripts only). */
  readonly hungPid?: number;
}

/** Turns captured bytes into stored output: C-string semantics (stop at NUL), empty = null. */
export function outputText(bytes: Buffer): string | null {
  const nul = bytes.indexOf(0);
  const text = (nul === -1 ? bytes : bytes.subarray(0, nul)).toString('utf8');
  return text.length === 0 ? null : text;
}

/** CTDB's rule: after an OK or disabled (-ENOEXEC) script the run goes on; otherwise it stops. */
export function continuesRun(result: number): boolean {
  return result === 0 || result === -Errno.ENOEXEC;
}
