// What a mutex helper process does with its standard streams: one status byte on stdout,
// messages on stderr (CTDB copies them into its log), levels chosen by -v flags.
import { writeSync } from 'node:fs';
import type { MutexStatus } from '../status.js';

export type HelperLogLevel = 'error' | 'warning' | 'info' | 'debug';
const rank: Record<HelperLogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3 };

export interface HelperLog {
  error(msg: string): void;
  warning(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** A stderr logger that prints `progname: message`; `verbosity` 0 shows errors only. */
export function stderrLog(progname: string, verbosity: number): HelperLog {
  const at =
    (level: HelperLogLevel) =>
    (msg: string): void => {
      if (rank[level] > verbosity) return;
      try {
        writeSync(2, `${progname}: ${msg}\n`);
      } catch {
        // stderr is gone with our parent; nothing useful to do
      }
    };
  return { error: at('error'), warning: at('warning'), info: at('info'), debug: at('debug') };
}

/**
 * Writes the status byte synchronously (it must be out before anything else happens).
 * Returns false if stdout is closed — the parent is gone.
 */
export function writeStatus(status: MutexStatus): boolean {
  try {
    writeSync(1, status);
    return true;
  } catch {
    return false;
  }
}

/** Keeps a closed stderr/stdout pipe from crashing the helper before it has released. */
export function ignoreBrokenPipes(): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
}
