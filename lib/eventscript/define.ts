// The eventscript API: a TypeScript eventscript is a module whose default export is the
// value returned by defineEventScript({ options, monitor, takeip, … }). Hook names come from
// the event table; an unknown hook name is rejected when the script is defined (loaded).
import type { Logger } from 'pino';
import { EVENTS, isEventName, type EventArgs, type EventName } from './events.js';

/** One declared script option: its default, how to read it from text, and what it means. */
export interface OptionSpec<T> {
  readonly default: T;
  readonly doc: string;
  /** Turns the text of `NAME=value` into a value; throws an Error with a message on bad input. */
  readonly parse: (text: string) => T;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;

/** The typed values of a script's declared options. */
export type OptionValues<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** What every hook receives besides its event arguments. */
export interface EventContext<S extends OptionSpecs = OptionSpecs> {
  /** The event being run. */
  readonly event: EventName;
  /** The script's name, e.g. `10.interface`. */
  readonly scriptName: string;
  /** The script's declared options, read from `script.options` and `NN.name.options`. */
  readonly options: OptionValues<S>;
  /** A pino child logger for this script and event. */
  readonly log: Logger;
  /** Aborted when the event's deadline passes or the run is cancelled. */
  readonly signal: AbortSignal;
  /** This node's PNN (asked of ctdbd once, then cached as CTDB's functions do). */
  pnn(): Promise<number>;
  /** A per-script state directory (`$CTDB_SCRIPT_VARDIR/<kind>/<name>`), created on demand. */
  stateDir(kind?: string): Promise<string>;
  /** The environment the script runs with (CTDB_BASE, CTDB_SCRIPT_VARDIR, …). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Appends text to the script's output (what `ctdb scriptstatus` shows). */
  print(text: string): void;
}

/** A hook: receives the event's typed arguments and the context; a throw or `false`/non-zero fails it. */
export type Hook<E extends EventName, S extends OptionSpecs> = (
  args: EventArgs<E>,
  ctx: EventContext<S>,
) => HookResult | Promise<HookResult>;

/** What a hook may return: nothing or `true` for success, `false` or a non-zero number for failure. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- hooks commonly return nothing
export type HookResult = void | undefined | number | boolean;

export type Hooks<S extends OptionSpecs> = { readonly [E in EventName]?: Hook<E, S> };

export interface EventScriptDefinition<S extends OptionSpecs = OptionSpecs> extends Hooks<S> {
  /** Declared options with defaults and docs. */
  readonly options?: S;
  /** A one-line description, for `--help` and docs. */
  readonly description?: string;
}

/** Marks a module's default export as an eventscript, so loaders can recognise it. */
export const EVENTSCRIPT_MARK: unique symbol = Symbol.for('ctdb-ts.eventscript');

export interface EventScript<S extends OptionSpecs = OptionSpecs> {
  readonly [EVENTSCRIPT_MARK]: true;
  readonly definition: EventScriptDefinition<S>;
  readonly options: S;
  /** The events this script handles; others exit 0 as shell eventscripts do. */
  readonly handles: readonly EventName[];
}

/** Raised when a script definition has a hook for no known event, or a malformed option. */
export class EventScriptDefinitionError extends Error {
  override name = 'EventScriptDefinitionError';
}

const NON_HOOK_KEYS = new Set(['options', 'description']);

export function defineEventScript<S extends OptionSpecs = OptionSpecs>(
  definition: EventScriptDefinition<S>,
): EventScript<S> {
  const handles: EventName[] = [];
  for (const [key, value] of Object.entries(definition)) {
    if (NON_HOOK_KEYS.has(key)) continue;
    if (!isEventName(key)) {
      throw new EventScriptDefinitionError(
        `unknown hook '${key}': hooks must be one of ${Object.keys(EVENTS).join(', ')}`,
      );
    }
    if (typeof value !== 'function')
      throw new EventScriptDefinitionError(`hook '${key}' is not a function`);
    handles.push(key);
  }
  const options = (definition.options ?? {}) as S;
  for (const [name, spec] of Object.entries(options)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new EventScriptDefinitionError(`option name '${name}' is not a shell variable name`);
    if (typeof spec.parse !== 'function')
      throw new EventScriptDefinitionError(`option '${name}' has no parse function`);
  }
  return { [EVENTSCRIPT_MARK]: true, definition, options, handles };
}

export function isEventScript(value: unknown): value is EventScript {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[EVENTSCRIPT_MARK] === true
  );
}
