// The parts of `<etcdir>/ctdb.conf` the event daemon reads: `[event] debug script` and
// `[logging] log level` / `location`. A bad value is an error naming the file and key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'ini';
import { resolveDebugScript } from './debug-script.js';

export interface EventdConfig {
  /** Full path of the validated debug script, or undefined. */
  readonly debugScript: string | undefined;
  readonly logLevel: string;
  readonly logLocation: string | undefined;
}

export class EventdConfigError extends Error {
  override name = 'EventdConfigError';
}

const LEVELS = new Set(['ERROR', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG']);

export function readEventdConfig(etcDir: string): EventdConfig {
  const file = join(etcDir, 'ctdb.conf');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { debugScript: undefined, logLevel: 'NOTICE', logLocation: undefined };
  }
  const conf = parse(text) as Record<string, Record<string, unknown> | undefined>;
  const event = conf.event ?? {};
  const logging = conf.logging ?? {};
  const known = new Set(['debug script']);
  for (const key of Object.keys(event))
    if (!known.has(key)) throw new EventdConfigError(`${file}: [event] unknown option '${key}'`);
  let debugScript: string | undefined;
  const ds = event['debug script'];
  if (ds !== undefined) {
    if (typeof ds !== 'string' || ds.trim() === '')
      throw new EventdConfigError(`${file}: [event] debug script must be a file name`);
    try {
      debugScript = resolveDebugScript(etcDir, ds.trim());
    } catch (err) {
      throw new EventdConfigError(`${file}: [event] debug script: ${(err as Error).message}`);
    }
  }
  const level = typeof logging['log level'] === 'string' ? logging['log level'].trim() : 'NOTICE';
  if (!LEVELS.has(level.toUpperCase()))
    throw new EventdConfigError(`${file}: [logging] log level '${level}' is not a CTDB level`);
  const loc = typeof logging.location === 'string' ? logging.location.trim() : undefined;
  return { debugScript, logLevel: level, logLocation: loc };
}
