// The notification hook API. CTDB runs every executable `events/notification/*.script` with
// one argument, the notification event (init, setup, startup, healthy, unhealthy). A
// TypeScript hook is a module whose default export is defineNotificationHook({ options,
// notify }); like an eventscript it is an executable file (`#!/usr/bin/env ctdb-eventscript`),
// so CTDB's own notify.sh runs it too.
//
// Options come from `$CTDB_BASE/script.options`, then `$CTDB_BASE/events/notification/
// <name>.options` (later files win; the environment gives the starting values), as
// `load_script_options` does for a shell script.
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { loadOptions, type OptionSources } from '../options/index.js';
import { defaultLogger } from './context.js';
import type { OptionSpecs, OptionValues } from './define.js';

/** The notifications ctdbd sends, and when. */
export const NOTIFICATION_EVENTS = {
  init: 'after the init event succeeded',
  setup: 'after the setup event succeeded',
  startup: 'after the startup event succeeded (runstate RUNNING)',
  unhealthy: 'monitor: the node went from HEALTHY to UNHEALTHY',
  healthy: 'monitor: the node went from UNHEALTHY to HEALTHY',
} as const;

export type NotificationEvent = keyof typeof NOTIFICATION_EVENTS;

export function isNotificationEvent(name: string): name is NotificationEvent {
  return Object.hasOwn(NOTIFICATION_EVENTS, name);
}

export interface NotificationContext<S extends OptionSpecs = OptionSpecs> {
  readonly event: NotificationEvent;
  /** The hook's name, e.g. `snmp-trap` (its file name without `.script` / `.ts`). */
  readonly scriptName: string;
  readonly options: OptionValues<S>;
  readonly log: Logger;
  /** Aborted when the hook's deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline when the hook started. */
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface NotificationHookDefinition<S extends OptionSpecs = OptionSpecs> {
  readonly description?: string;
  readonly options?: S;
  /** The events this hook acts on (default: all); others exit 0 untouched. */
  readonly events?: readonly NotificationEvent[];
  /** Sends the notification; a throw is a failure (logged, exit 1). */
  notify(event: NotificationEvent, ctx: NotificationContext<S>): Promise<void> | void;
}

export const NOTIFICATION_HOOK_MARK: unique symbol = Symbol.for('ctdb-ts.notification-hook');

export interface NotificationHook<S extends OptionSpecs = OptionSpecs> {
  readonly [NOTIFICATION_HOOK_MARK]: true;
  readonly definition: NotificationHookDefinition<S>;
  readonly options: S;
  readonly events: readonly NotificationEvent[];
}

export class NotificationHookDefinitionError extends Error {
  override name = 'NotificationHookDefinitionError';
}

export function defineNotificationHook<S extends OptionSpecs = OptionSpecs>(
  definition: NotificationHookDefinition<S>,
): NotificationHook<S> {
  if (typeof definition.notify !== 'function')
    throw new NotificationHookDefinitionError('a notification hook needs a notify function');
  const events = definition.events ?? (Object.keys(NOTIFICATION_EVENTS) as NotificationEvent[]);
  for (const e of events) {
    if (!isNotificationEvent(e))
      throw new NotificationHookDefinitionError(
        `unknown notification event '${String(e)}': one of ${Object.keys(NOTIFICATION_EVENTS).join(', ')}`,
      );
  }
  const options = (definition.options ?? {}) as S;
  for (const [name, spec] of Object.entries(options)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new NotificationHookDefinitionError(
        `option name '${name}' is not a shell variable name`,
      );
    if (typeof spec.parse !== 'function')
      throw new NotificationHookDefinitionError(`option '${name}' has no parse function`);
  }
  return { [NOTIFICATION_HOOK_MARK]: true, definition, options, events };
}

export function isNotificationHook(value: unknown): value is NotificationHook {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[NOTIFICATION_HOOK_MARK] === true
  );
}

// ---------------------------------------------------------------------------------------------
// Options: `$CTDB_BASE/script.options`, then `$CTDB_BASE/events/notification/<name>.options`.

export function ctdbBaseOf(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.CTDB_BASE;
  return base === undefined || base === '' ? '/etc/ctdb' : base;
}

/** Where a hook's options are read from (the notification folder, whatever file runs it). */
export function notificationOptionSources(
  scriptName: string,
  env: Readonly<Record<string, string | undefined>>,
): OptionSources {
  const base = ctdbBaseOf(env);
  return { ctdbBase: base, scriptDir: join(base, 'events', 'notification'), scriptName, env };
}

/** Reads and parses a hook's declared options; a bad value throws OptionsFileError. */
export function loadNotificationOptions<S extends OptionSpecs>(
  specs: S,
  scriptName: string,
  env: Readonly<Record<string, string | undefined>>,
): OptionValues<S> {
  return loadOptions(specs, notificationOptionSources(scriptName, env));
}

// ---------------------------------------------------------------------------------------------
// Running a hook.

/** Deadline of one notification, unless CTDB_NOTIFY_TIMEOUT (seconds) says otherwise. */
export const DEFAULT_NOTIFICATION_TIMEOUT_MS = 30_000;

export class NotificationTimeoutError extends Error {
  override name = 'NotificationTimeoutError';
}

export interface RunNotificationOptions {
  readonly event: string;
  readonly scriptName: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

function timeoutFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const s = Number(env.CTDB_NOTIFY_TIMEOUT ?? '');
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

/**
 * Runs a hook for one event and returns the exit code: 0 on success or when the hook does not
 * handle the event, 1 when it failed or missed its deadline (the failure is logged).
 */
export async function runNotificationHook(
  hook: NotificationHook,
  opts: RunNotificationOptions,
): Promise<number> {
  const log = opts.log;
  if (!isNotificationEvent(opts.event)) {
    log.warn({ event: opts.event }, `ignoring unknown notification event "${opts.event}"`);
    return 0;
  }
  const event = opts.event;
  if (!hook.events.includes(event)) return 0;
  const timeoutMs = opts.timeoutMs ?? timeoutFromEnv(opts.env) ?? DEFAULT_NOTIFICATION_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new NotificationTimeoutError(`timed out after ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const options = loadNotificationOptions(hook.options, opts.scriptName, opts.env);
    const ctx: NotificationContext = {
      event,
      scriptName: opts.scriptName,
      options,
      log,
      signal: controller.signal,
      timeoutMs,
      env: opts.env,
    };
    await Promise.race([Promise.resolve(hook.definition.notify(event, ctx)), deadline]);
    return 0;
  } catch (err) {
    log.error(
      { event, err: err instanceof Error ? err.message : String(err) },
      `${opts.scriptName}: ${event} notification failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  } finally {
    clearTimeout(timer);
  }
}

/** The hook's name from its file: `snmp-trap.script` and `snmp-trap.ts` give `snmp-trap`. */
export function hookNameOf(file: string): string {
  return basename(file).replace(/\.(script|ts|js|mjs)$/, '');
}

/**
 * Entry for a launcher: loads the module at `file`, runs it for `event`, logs to stderr, and
 * returns the exit code. The caller should exit the process with it, so that sockets a hook
 * left open after its deadline do not keep the process alive.
 */
export async function runNotificationHookFile(
  file: string,
  event: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const scriptName = hookNameOf(file);
  const log = defaultLogger(env).child({ script: scriptName });
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    log.error(`${scriptName}: cannot load: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (!isNotificationHook(mod.default)) {
    log.error(`${scriptName}: the default export is not a defineNotificationHook() value`);
    return 1;
  }
  return runNotificationHook(mod.default, { event, scriptName, env, log });
}
