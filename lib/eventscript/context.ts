// Builds the EventContext a hook receives: options read from the option files, a pino child
// logger (made on first use, so a hook that does not log pays nothing), the deadline signal,
// the node's PNN cached in $CTDB_SCRIPT_VARDIR/my-pnn as CTDB's functions cache it, a state
// directory per script, the environment, and print() for the script's output.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadOptions } from '../options/load.js';
import type { EventContext, EventScript } from './define.js';
import type { EventName } from './events.js';

export interface ContextInput {
  readonly script: EventScript;
  /** `NN.name`. */
  readonly scriptName: string;
  /** The script file (its folder holds `NN.name.options`). */
  readonly scriptPath: string;
  readonly event: EventName;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  readonly print: (text: string) => void;
  readonly logger: () => Logger;
}

/** CTDB's default when the environment does not set CTDB_SCRIPT_VARDIR. */
export const DEFAULT_SCRIPT_VARDIR = '/var/lib/ctdb/scripts';

export function scriptVarDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.CTDB_SCRIPT_VARDIR ?? DEFAULT_SCRIPT_VARDIR;
}

/** A root logger on stderr with CTDB's level names mapped onto pino's. */
export function defaultLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  const levels: Record<string, string> = {
    ERROR: 'error',
    ERR: 'error',
    WARNING: 'warn',
    NOTICE: 'info',
    INFO: 'info',
    DEBUG: 'debug',
  };
  const level = levels[(env.CTDB_DEBUGLEVEL ?? 'NOTICE').toUpperCase()] ?? 'info';
  return pino({ level, base: null }, pino.destination({ dest: 2, sync: true }));
}

function runCommand(
  cmd: string,
  args: string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

export function createContext(input: ContextInput): EventContext {
  const { env, scriptName } = input;
  const options = loadOptions(input.script.options, {
    ctdbBase: env.CTDB_BASE,
    scriptDir: dirname(input.scriptPath),
    scriptName,
    env,
  });
  let log: Logger | undefined;
  return {
    event: input.event,
    scriptName,
    options,
    get log(): Logger {
      log ??= input.logger().child({ script: scriptName, event: input.event });
      return log;
    },
    signal: input.signal,
    env,
    print: input.print,
    async pnn(): Promise<number> {
      const file = join(scriptVarDir(env), 'my-pnn');
      let text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) {
        const ctdb = env.CTDB ?? 'ctdb';
        const [cmd, ...pre] = ctdb.split(' ').filter((w) => w !== '');
        text = await runCommand(cmd ?? 'ctdb', [...pre, 'pnn'], env);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      const pnn = Number(text.trim().replace(/^.*:/, ''));
      if (!Number.isInteger(pnn)) throw new Error(`cannot read PNN from '${text.trim()}'`);
      return pnn;
    },
    async stateDir(kind = 'service'): Promise<string> {
      const dir = join(scriptVarDir(env), kind, scriptName.replace(/^[0-9][0-9]\./, ''));
      await mkdir(dir, { recursive: true });
      return dir;
    },
  };
}
