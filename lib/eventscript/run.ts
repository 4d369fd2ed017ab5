// Runs one event of a loaded TypeScript eventscript, with the same outcome a shell script has:
// a status (0 = success) and the text it printed. Both the launcher (`ctdb-eventscript`, under
// any event daemon) and our daemon's in-process workers use this, so the two agree.
import type { Logger } from 'pino';
import { isEventScript, type EventScript } from './define.js';
import { isEventName, parseEventArgs, type EventName } from './events.js';
import { createContext } from './context.js';

export interface HookRun {
  readonly script: EventScript;
  readonly scriptName: string;
  readonly scriptPath: string;
  /** The event word as the daemon passed it (may be one the table does not know). */
  readonly event: string;
  /** The words after the event name. */
  readonly words: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  readonly print: (text: string) => void;
  readonly logger: () => Logger;
}

/** Raised when a module is not an eventscript (its default export is not defineEventScript's). */
export class NotAnEventScriptError extends Error {
  override name = 'NotAnEventScriptError';
}

/** Picks the eventscript out of an imported module. */
export function eventScriptOf(mod: unknown, path: string): EventScript {
  const value = (mod as { default?: unknown } | null)?.default;
  if (!isEventScript(value))
    throw new NotAnEventScriptError(
      `${path}: the default export is not an eventscript (use export default defineEventScript({...}))`,
    );
  return value;
}

/** Hook return value → exit status: nothing/true = 0, false = 1, a number is itself. */
export function hookStatus(value: unknown): number {
  if (value === undefined || value === true || value === null) return 0;
  if (value === false) return 1;
  if (typeof value === 'number' && Number.isInteger(value)) return value & 0xff;
  return 0;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The exit status a thrown error asks for: an integer `status` property (as lib/errors'
 * ScriptExit carries for CTDB's `die MSG RC`), else 1.
 */
export function thrownStatus(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && Number.isInteger(status) && status > 0 ? status & 0xff : 1;
}

/**
 * Runs the hook for `event`, if the script has one. Events it does not handle succeed with no
 * output, as a shell script's `case` falls through. Bad arguments and throws fail with their
 * message as output and status 1, or the error's own integer `status` (CTDB's `die MSG RC`).
 */
export async function runHook(run: HookRun): Promise<number> {
  if (!isEventName(run.event)) return 0;
  const event: EventName = run.event;
  const hook = run.script.definition[event] as
    ((args: unknown, ctx: unknown) => unknown) | undefined;
  if (hook === undefined) return 0;
  try {
    const args = parseEventArgs(event, run.words);
    const ctx = createContext({ ...run, event });
    return hookStatus(await hook(args, ctx));
  } catch (err) {
    const message = messageOf(err);
    if (message !== '') run.print(`${message}\n`);
    return thrownStatus(err);
  }
}
