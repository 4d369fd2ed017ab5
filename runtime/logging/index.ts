// Daemon logging through pino with CTDB's five levels. `[logging] location = file:PATH` writes
// pino JSON lines to the file; interactive mode (`-i`) writes a readable line per record to
// stderr instead. `syslog` locations fall back to the file under the var dir (we do not speak
// syslog), which is what an administrator finds with `ctdb` tooling anyway.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevelName } from '../config/ctdb-conf.js';

/** pino level numbers for CTDB's level names (higher = more severe). */
export const LEVEL_VALUES: Readonly<Record<LogLevelName, number>> = {
  ERROR: 50,
  WARNING: 40,
  NOTICE: 35,
  INFO: 30,
  DEBUG: 20,
};

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warning(msg: string, fields?: Record<string, unknown>): void;
  notice(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  setLevel(level: LogLevelName): void;
  level(): LogLevelName;
  child(bindings: Record<string, unknown>): Logger;
  /** Opens the log file again (after logrotate moved it); nothing for stderr. */
  reopen(): void;
}

export interface LoggerOptions {
  /** `file:PATH`, `stderr`, or `syslog…` (mapped to `fallbackFile`). */
  readonly location: string;
  readonly level: LogLevelName;
  readonly name: string;
  /** Where syslog-style locations write instead. */
  readonly fallbackFile?: string;
}

const NAME_BY_VALUE = new Map(Object.entries(LEVEL_VALUES).map(([k, v]) => [v, k]));

/** Turns pino JSON lines into `TIME NAME[PID]: LEVEL: msg` lines for a terminal. */
function readableStderr(): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          const { level, time, pid, name, msg, ...rest } = rec;
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          const t = new Date(typeof time === 'number' ? time : Date.now()).toISOString();
          process.stderr.write(
            `${t} ${String(name)}[${String(pid)}]: ${NAME_BY_VALUE.get(level as number) ?? '?'}: ${String(msg)}${extra}\n`,
          );
        } catch {
          process.stderr.write(`${line}\n`);
        }
      }
      cb();
    },
  });
}

function destinationFor(opts: LoggerOptions): pino.DestinationStream {
  if (opts.location === 'stderr') return readableStderr();
  let file: string | undefined;
  if (opts.location.startsWith('file:')) file = opts.location.slice(5);
  if (file === undefined || file === '') file = opts.fallbackFile;
  if (file === undefined) return readableStderr();
  mkdirSync(dirname(file), { recursive: true });
  // Synchronous writes: a daemon killed with SIGKILL must not lose its last lines.
  return pino.destination({ dest: file, sync: true, mkdir: true });
}

function wrap(
  p: pino.Logger<'ERROR' | 'WARNING' | 'NOTICE' | 'INFO' | 'DEBUG'>,
  dest: pino.DestinationStream,
): Logger {
  const at =
    (level: LogLevelName) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) p[level](msg);
      else p[level](fields, msg);
    };
  return {
    error: at('ERROR'),
    warning: at('WARNING'),
    notice: at('NOTICE'),
    info: at('INFO'),
    debug: at('DEBUG'),
    setLevel: (level) => {
      p.level = level;
    },
    level: () => p.level as LogLevelName,
    child: (bindings) => wrap(p.child(bindings), dest),
    reopen: () => {
      const file = dest as { reopen?: () => void };
      file.reopen?.();
    },
  };
}

export function createLogger(opts: LoggerOptions): Logger {
  const dest = destinationFor(opts);
  const p = pino(
    {
      name: opts.name,
      level: opts.level,
      customLevels: LEVEL_VALUES,
      useOnlyCustomLevels: true,
      base: { pid: process.pid, name: opts.name },
    },
    dest,
  );
  return wrap(p, dest);
}

/** A logger that drops everything (for unit tests of components that log). */
export function silentLogger(): Logger {
  const noop = (): void => undefined;
  let lvl: LogLevelName = 'ERROR';
  const l: Logger = {
    error: noop,
    warning: noop,
    notice: noop,
    info: noop,
    debug: noop,
    setLevel: (x) => {
      lvl = x;
    },
    level: () => lvl,
    child: () => l,
    reopen: noop,
  };
  return l;
}

/** Maps a CTDB debug level number (0..10) to the nearest level name. */
export function levelNameFromNumber(n: number): LogLevelName {
  if (n <= 0) return 'ERROR';
  if (n <= 2) return 'WARNING';
  if (n <= 4) return 'NOTICE';
  if (n <= 9) return 'INFO';
  return 'DEBUG';
}
