// Sending a notification: what CTDB's notify.sh does, without the shell and without ever
// making the caller wait. `notify(event)` returns at once; in the background it runs every
// enabled (executable) `events/notification/*.script` with the event as its only argument,
// each in its own process group with a deadline, and logs failures, timeouts and output.
// Unlike notify.sh, the scripts run side by side, so one slow receiver does not hold up the
// others. With `script` set, that one program is run instead, as ctdbd runs its notification
// script.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotificationEvent } from '../../lib/eventscript/notification.js';

export type NotificationEventName = NotificationEvent;

/** The logging calls used (pino's signature). */
export interface NotifyLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface NotifyOptions {
  readonly log: NotifyLogger;
  /** Environment of the scripts (default: ours); CTDB_BASE also locates the directory. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default `$CTDB_BASE/events/notification`. */
  readonly dir?: string;
  /** Run this one program instead of the directory's scripts. */
  readonly script?: string;
  /** Deadline of each script (default 60 s); its whole process group is killed then. */
  readonly timeoutMs?: number;
}

export interface ScriptOutcome {
  readonly script: string;
  /** Exit code, or null when killed or not started. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly output: string;
}

export interface NotificationRun {
  readonly event: NotificationEventName;
  /** Settles when every script has finished or been killed; never rejects. */
  readonly done: Promise<ScriptOutcome[]>;
}

export const DEFAULT_NOTIFY_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 64 * 1024;

function notificationDir(opts: NotifyOptions): string {
  if (opts.dir !== undefined) return opts.dir;
  const base = opts.env?.CTDB_BASE ?? process.env.CTDB_BASE ?? '/etc/ctdb';
  return join(base === '' ? '/etc/ctdb' : base, 'events', 'notification');
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The enabled scripts of the directory, in name order. */
export async function enabledNotificationScripts(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const scripts: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.script')).sort()) {
    if (await isExecutableFile(join(dir, name))) scripts.push(join(dir, name));
  }
  return scripts;
}

function runScript(
  script: string,
  event: string,
  opts: NotifyOptions,
  timeoutMs: number,
): Promise<ScriptOutcome> {
  const started = performance.now();
  const command = `${script} ${event}`;
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(script, [event], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so the deadline kills everything it started
    });
    const collect = (d: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += d.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    let spawnError: string | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code ?? err.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const outcome: ScriptOutcome = {
        script,
        exitCode: spawnError === undefined ? code : null,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        output: output.slice(0, MAX_OUTPUT),
      };
      const fields = { script, event, durationMs: outcome.durationMs, output: outcome.output };
      if (timedOut) {
        opts.log.error(fields, `Notification script "${command}" timed out after ${timeoutMs} ms`);
      } else if (spawnError !== undefined) {
        opts.log.error(fields, `Notification script "${command}" could not be run: ${spawnError}`);
      } else if (code !== 0) {
        opts.log.error(fields, `Notification script "${command}" failed with error ${code}`);
      } else {
        opts.log.debug(fields, `Notification script "${command}" succeeded`);
      }
      resolve(outcome);
    });
  });
}

async function runAll(event: NotificationEventName, opts: NotifyOptions): Promise<ScriptOutcome[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  let scripts: string[];
  if (opts.script !== undefined) {
    try {
      await stat(opts.script);
    } catch (err) {
      opts.log.error(
        { script: opts.script, event },
        `Could not stat notification script ${opts.script}. Can not send notifications. (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
      return [];
    }
    if (!(await isExecutableFile(opts.script))) {
      opts.log.error(
        { script: opts.script, event },
        `Notification script ${opts.script} is not executable.`,
      );
      return [];
    }
    scripts = [opts.script];
  } else {
    scripts = await enabledNotificationScripts(notificationDir(opts));
  }
  if (scripts.length === 0) opts.log.debug({ event }, 'no notification scripts enabled');
  return Promise.all(scripts.map((s) => runScript(s, event, opts, timeoutMs)));
}

/**
 * Sends a notification and returns immediately. The scripts run in the background; their
 * failures are logged, never thrown. `done` is there for callers (and tests) that want to
 * know when they are finished.
 */
export function notify(event: NotificationEventName, opts: NotifyOptions): NotificationRun {
  const done = Promise.resolve()
    .then(() => runAll(event, opts))
    .catch((err: unknown) => {
      opts.log.error({ event }, `notification ${event} failed: ${String(err)}`);
      return [];
    });
  return { event, done };
}
