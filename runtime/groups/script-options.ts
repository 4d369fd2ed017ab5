// Finds a variable the way `load_script_options <component> <script>` leaves it for CTDB's
// helpers: the environment, overridden by `$CTDB_BASE/script.options`, overridden by
// `$CTDB_BASE/events/legacy/<script>.options`.
import { join } from 'node:path';
import { OptionsFileError, readAssignments } from '../../lib/options/index.js';
import { GroupError } from './errors.js';

export const DEFAULT_CTDB_BASE = '/etc/ctdb';

export function ctdbBase(env: NodeJS.ProcessEnv): string {
  const base = env.CTDB_BASE;
  return base === undefined || base === '' ? DEFAULT_CTDB_BASE : base;
}

/** The value `name` has after loading the script options of `script` (e.g. `11.natgw`). */
export function scriptOptionValue(
  env: NodeJS.ProcessEnv,
  script: string,
  name: string,
): string | undefined {
  const base = ctdbBase(env);
  try {
    const assignments = readAssignments({
      ctdbBase: base,
      scriptDir: join(base, 'events', 'legacy'),
      scriptName: script,
      env,
    });
    return assignments.filter((a) => a.name === name).at(-1)?.value ?? env[name];
  } catch (err) {
    if (err instanceof OptionsFileError) throw new GroupError(err.message, 1);
    throw err;
  }
}
