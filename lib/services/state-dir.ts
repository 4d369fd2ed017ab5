// Per-script state directories, CTDB's `ctdb_setup_state_dir TYPE NAME`:
// `$CTDB_SCRIPT_VARDIR/TYPE/NAME`, created on demand.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ScriptExit } from '../errors/index.js';

/** CTDB_SCRIPT_VARDIR from ENV, with Debian's default. */
export function scriptVarDir(env: Readonly<Record<string, string | undefined>>): string {
  const v = env.CTDB_SCRIPT_VARDIR;
  return v === undefined || v === '' ? '/var/lib/ctdb/scripts' : v;
}

/** Creates and returns `$CTDB_SCRIPT_VARDIR/TYPE/NAME`; dies with CTDB's message on failure. */
export async function setupStateDir(
  env: Readonly<Record<string, string | undefined>>,
  type: string,
  name: string,
): Promise<string> {
  const dir = join(scriptVarDir(env), type, name);
  try {
    await mkdir(dir, { recursive: true });
  } catch {
    throw new ScriptExit(`Error creating script state dir "${dir}"`);
  }
  return dir;
}
