// Reading ctdb.conf settings through CTDB's `ctdb-config get`, and the database directory
// options eventscripts cache (ctdb_get_db_options), in CTDB's own cache file format.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScriptExit } from '../errors/index.js';
import { runAllowingFailure } from '../shell/index.js';
import { ctdbHelperBinDir, ctdbScriptVarDir, type ScriptEnv } from './env.js';

export type ConfigGetResult =
  | { readonly found: true; readonly value: string }
  /** Exit 2 (ENOENT): the option is not set. */
  | { readonly found: false; readonly exitCode: 2 }
  | { readonly found: false; readonly exitCode: number; readonly stderr: string };

/** `$CTDB_HELPER_BINDIR/ctdb-config get SECTION OPTION`. */
export async function ctdbConfigGet(
  section: string,
  option: string,
  opts: { env: ScriptEnv; signal?: AbortSignal },
): Promise<ConfigGetResult> {
  const r = await runAllowingFailure(
    join(ctdbHelperBinDir(opts.env), 'ctdb-config'),
    ['get', section, option],
    {
      env: { ...process.env, ...opts.env },
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    },
  );
  if (r.exitCode === 0) return { found: true, value: r.stdout.replace(/\n$/, '') };
  if (r.exitCode === 2) return { found: false, exitCode: 2 };
  return { found: false, exitCode: r.exitCode, stderr: r.stderr };
}

export interface DbOptions {
  readonly CTDB_DBDIR: string;
  readonly CTDB_DBDIR_PERSISTENT: string;
  readonly CTDB_DBDIR_STATE: string;
}

const DB_OPTIONS: readonly (readonly [keyof DbOptions, string])[] = [
  ['CTDB_DBDIR', 'volatile database directory'],
  ['CTDB_DBDIR_PERSISTENT', 'persistent database directory'],
  ['CTDB_DBDIR_STATE', 'state database directory'],
];

/**
 * The database directories, from `$CTDB_SCRIPT_VARDIR/db_options.cache` (lines
 * `NAME="value"`, shared with shell scripts), building it with ctdb-config when absent.
 * Values already in ENV win, as in CTDB's test mode.
 */
export async function ctdbDbOptions(opts: {
  env: ScriptEnv;
  signal?: AbortSignal;
}): Promise<DbOptions> {
  const cache = join(ctdbScriptVarDir(opts.env), 'db_options.cache');
  let text: string | undefined;
  try {
    text = await readFile(cache, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const lines: string[] = [];
    for (const [name, option] of DB_OPTIONS) {
      const r = await ctdbConfigGet('database', option, opts);
      if (!r.found) {
        throw new ScriptExit(
          'stderr' in r ? r.stderr.trim() : `ctdb-config: database "${option}" not set`,
          r.exitCode,
        );
      }
      lines.push(`${name}="${r.value}"`);
    }
    text = `${lines.join('\n')}\n`;
    await writeFile(cache, text).catch(() => undefined);
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)="(.*)"$/.exec(line);
    if (m !== null) values.set(m[1]!, m[2]!);
  }
  const pick = (k: keyof DbOptions): string => opts.env[k] ?? values.get(k) ?? '';
  return {
    CTDB_DBDIR: pick('CTDB_DBDIR'),
    CTDB_DBDIR_PERSISTENT: pick('CTDB_DBDIR_PERSISTENT'),
    CTDB_DBDIR_STATE: pick('CTDB_DBDIR_STATE'),
  };
}
