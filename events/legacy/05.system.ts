#!/usr/bin/env ctdb-eventscript
// 05.system: warns about and fails on filesystem and memory utilisation (monitor), with CTDB
// 4.17's options, defaults, cache files and messages. Figures come from statfs(2) and
// /proc/meminfo rather than `df` and `awk`.
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { string } from '../../lib/options/kinds.js';
import { ctdbDbOptions, ctdbVarDir, type DbOptions } from '../../lib/ctdb/index.js';
import { setupStateDir } from '../../lib/services/index.js';
import {
  checkThresholds,
  filesystemUsagePercent,
  getProc,
  memoryUsagePercent,
  mountPointOf,
  parseMemInfo,
  setProc,
} from '../../lib/system/index.js';
import { runAllowingFailure } from '../../lib/shell/index.js';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const options = {
  CTDB_MONITOR_FILESYSTEM_USAGE: string(
    '',
    'Space-separated MOUNT:WARN[:ERR] percentages (default: the database filesystems, warn at 90).',
  ),
  CTDB_MONITOR_MEMORY_USAGE: string('80', 'WARN[:ERR] percentage of memory+swap in use.'),
};

type Ctx = EventContext<typeof options>;

const STATE = ['service', 'system-monitoring'] as const;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The default filesystem list: the mount point of each database directory with a 90% warning,
 * de-duplicated, cached in the state directory (under CTDB's own, misspelt, file name).
 */
async function defaultFilesystems(ctx: Ctx, stateDir: string, db: DbOptions): Promise<string> {
  const cache = join(stateDir, 'cache_filsystem_usage_defaults');
  try {
    return (await readFile(cache, 'utf8')).split('\n')[0] ?? '';
  } catch {
    // not cached yet
  }
  const vardir = ctdbVarDir(ctx.env);
  const dirs = [
    db.CTDB_DBDIR || vardir,
    db.CTDB_DBDIR_PERSISTENT || `${vardir}/persistent`,
    db.CTDB_DBDIR_STATE || `${vardir}/state`,
  ];
  const entries = new Set<string>();
  for (const d of dirs) {
    try {
      entries.add(`${await mountPointOf(d)}:90`);
    } catch {
      // df prints nothing for a missing directory; neither do we
    }
  }
  const line = [...entries].sort().join(' ');
  await writeFile(cache, `${line}\n`);
  return line;
}

/** The memory dump CTDB takes when memory first becomes unhealthy. */
async function dumpMemoryInfo(ctx: Ctx): Promise<void> {
  ctx.print(await getProc('meminfo'));
  const ps = await runAllowingFailure('ps', ['auxfww'], { signal: ctx.signal }).catch(
    () => undefined,
  );
  if (ps !== undefined) ctx.print(ps.stdout);
  await setProc('sysrq-trigger', 'm').catch(() => undefined);
}

export default defineEventScript({
  description: 'Filesystem and memory utilisation thresholds.',
  options,

  async monitor(_args, ctx) {
    const say = (line: string): void => ctx.print(`${line}\n`);
    const stateDir = await setupStateDir(ctx.env, ...STATE);
    const db = await ctdbDbOptions({ env: ctx.env, signal: ctx.signal });

    let list = ctx.options.CTDB_MONITOR_FILESYSTEM_USAGE;
    if (list === '') list = await defaultFilesystems(ctx, stateDir, db);
    for (const entry of list.split(/\s+/).filter((e) => e !== '')) {
      const colon = entry.indexOf(':');
      const mount = colon < 0 ? entry : entry.slice(0, colon);
      const thresholds = colon < 0 ? entry : entry.slice(colon + 1);
      if (!(await isDirectory(mount))) {
        say(`WARNING: Directory ${mount} does not exist`);
        continue;
      }
      const usage = await filesystemUsagePercent(mount);
      if (usage === undefined) {
        say(`WARNING: Unable to get FS utilization for ${mount}`);
        continue;
      }
      const outcome = await checkThresholds({
        thing: `Filesystem ${mount}`,
        thresholds,
        usage,
        stateDir,
        print: say,
      });
      // CTDB exits at the first unhealthy figure: later checks are not run.
      if (outcome === 'unhealthy') return 1;
    }

    const usage = memoryUsagePercent(parseMemInfo(await getProc('meminfo')));
    const outcome = await checkThresholds({
      thing: 'System memory',
      thresholds: ctx.options.CTDB_MONITOR_MEMORY_USAGE || '80',
      usage,
      stateDir,
      print: say,
      onUnhealthy: () => dumpMemoryInfo(ctx),
    });
    return outcome === 'unhealthy' ? 1 : 0;
  },
});
