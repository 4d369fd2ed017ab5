#!/usr/bin/env ctdb-eventscript
// 00.ctdb: CTDB's own housekeeping. At init it starts the script state directory afresh and
// checks the TDB databases left on disk: a corrupt persistent database stops the node from
// starting; a corrupt volatile one is moved aside (keeping a bounded number of backups). At
// startup it attaches the persistent database ctdb.tdb. As CTDB 4.17 does.
import { access, constants, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { integer } from '../../lib/options/kinds.js';
import { ScriptExit } from '../../lib/errors/index.js';
import { ctdb, ctdbDbOptions, ctdbScriptVarDir, ctdbVarDir } from '../../lib/ctdb/index.js';
import { runAllowingFailure } from '../../lib/shell/index.js';

const options = {
  CTDB_MAX_CORRUPT_DB_BACKUPS: integer(
    10,
    'How many moved-aside copies of a corrupt volatile database to keep.',
    { min: 0 },
  ),
};

type Ctx = EventContext<typeof options>;

type Checker = 'tdbtool' | 'tdbdump';

async function onPath(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      await access(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

/** Picks the best TDB consistency check available, warning as CTDB does when it is weak. */
async function selectChecker(ctx: Ctx): Promise<Checker | undefined> {
  const say = (text: string): void => ctx.print(text);
  const haveTool = await onPath('tdbtool');
  const haveDump = await onPath('tdbdump');
  if (haveTool) {
    const help = await runAllowingFailure('tdbtool', [], { input: 'help\n', signal: ctx.signal });
    if (/check/.test(help.stdout)) return 'tdbtool';
  }
  if (haveTool && haveDump) {
    say(
      "WARNING: The installed 'tdbtool' does not offer the 'check' subcommand.\n" +
        " Using 'tdbdump' for database checks.\n" +
        " Consider updating 'tdbtool' for better checks!\n",
    );
    return 'tdbdump';
  }
  if (haveDump) {
    say(
      "WARNING: 'tdbtool' is not available.\n" +
        " Using 'tdbdump' to check the databases.\n" +
        " Consider installing a recent 'tdbtool' for better checks!\n",
    );
    return 'tdbdump';
  }
  say(
    "WARNING: Cannot check databases since neither\n 'tdbdump' nor 'tdbtool check' is available.\n" +
      ' Consider installing tdbtool or at least tdbdump!\n',
  );
  return undefined;
}

/** True when the database passes the check (10 s limit each, as CTDB). */
async function tdbIsHealthy(ctx: Ctx, checker: Checker, db: string): Promise<boolean> {
  const opts = { signal: ctx.signal, timeoutMs: 10_000 };
  try {
    if (checker === 'tdbtool') {
      // tdbtool always exits 0: the verdict is in its output.
      const r = await runAllowingFailure('tdbtool', [db, 'check'], opts);
      return r.stdout.includes('Database integrity is OK');
    }
    return (await runAllowingFailure('tdbdump', [db], opts)).exitCode === 0;
  } catch {
    return false; // killed by the timeout
  }
}

/** Database files as CTDB names them on disk: `<name>.tdb.<pnn>`. */
async function databaseFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    if (!/\.tdb\..*[0-9]$/.test(n)) continue;
    const path = join(dir, n);
    try {
      await access(path, constants.R_OK);
      if ((await stat(path)).isFile()) out.push(path);
    } catch {
      // unreadable: skipped as the shell's [ -r ] does
    }
  }
  return out;
}

function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}.` +
    `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
  );
}

async function checkPersistent(ctx: Ctx, checker: Checker, dir: string): Promise<void> {
  for (const db of await databaseFiles(dir)) {
    if (!(await tdbIsHealthy(ctx, checker, db)))
      throw new ScriptExit(`Persistent database ${db} is corrupted! CTDB will not start.`);
  }
}

async function checkVolatile(ctx: Ctx, checker: Checker, dir: string): Promise<void> {
  for (const db of await databaseFiles(dir)) {
    if (await tdbIsHealthy(ctx, checker, db)) continue;
    const backup = `${db}.${timestamp()}.corrupt`;
    ctx.print(
      `WARNING: database ${db} is corrupted.\n Moving to backup ${backup} for later analysis.\n`,
    );
    await rename(db, backup);
    // Keep only the newest backups of this database.
    const base = db.slice(dir.length + 1);
    const backups = (await readdir(dir))
      .filter((n) => n.startsWith(`${base}.`) && n.endsWith('.corrupt'))
      .sort()
      .reverse();
    for (const old of backups.slice(ctx.options.CTDB_MAX_CORRUPT_DB_BACKUPS))
      await rm(join(dir, old), { force: true });
  }
}

export default defineEventScript({
  description: 'CTDB housekeeping: fresh script state, TDB checks, ctdb.tdb.',
  options,

  async init(_args, ctx) {
    const vardir = ctdbScriptVarDir(ctx.env);
    await rm(vardir, { recursive: true, force: true });
    try {
      await mkdir(vardir, { recursive: true });
    } catch {
      throw new ScriptExit(`mkdir -p ${vardir} - failed - 1`);
    }
    const db = await ctdbDbOptions({ env: ctx.env, signal: ctx.signal });
    const checker = await selectChecker(ctx);
    if (checker === undefined) return;
    const base = ctdbVarDir(ctx.env);
    await checkPersistent(ctx, checker, db.CTDB_DBDIR_PERSISTENT || `${base}/persistent`);
    await checkVolatile(ctx, checker, db.CTDB_DBDIR || base);
  },

  async startup(_args, ctx) {
    // CTDB ignores the outcome here too: the script's status is 0 either way.
    await ctdb(['attach', 'ctdb.tdb', 'persistent'], { env: ctx.env, signal: ctx.signal }).catch(
      (err: unknown) => ctx.log.warn({ err }, 'ctdb attach ctdb.tdb persistent failed'),
    );
  },
});
