// 00.ctdb and 01.reclock with the real `ctdb-config` (reading the sandbox's ctdb.conf) and
// the real tdbtool: state directory reset, TDB checks with corrupt databases, and the
// recovery lock directory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HookServer, ScriptSandbox } from './support/script-host.js';

const haveCtdbConfig = existsSync('/usr/libexec/ctdb/ctdb-config');
const haveTdb = spawnSync('tdbtool', ['-h'], { encoding: 'utf8' }).error === undefined;

describe(
  '01.reclock',
  { skip: haveCtdbConfig ? false : 'needs /usr/libexec/ctdb/ctdb-config' },
  () => {
    let box: ScriptSandbox;
    let script: HookServer;
    before(async () => {
      box = new ScriptSandbox('rl');
      // CTDB_TEST_MODE makes the real ctdb-config read $CTDB_BASE/ctdb.conf.
      script = await HookServer.start('01.reclock', box.env({ CTDB_TEST_MODE: '1' }));
    });
    after(async () => {
      await script.stop();
      box.cleanup();
    });

    test('no recovery lock configured: nothing to do', async () => {
      box.write('ctdb.conf', '[cluster]\n');
      const r = await script.run('init');
      assert.equal(r.status, 0, r.output);
    });

    test('a lock helper needs no directory', async () => {
      box.write(
        'ctdb.conf',
        `[cluster]\n\trecovery lock = !/bin/false ${join(box.dir, 'h/lock')}\n`,
      );
      const r = await script.run('init');
      assert.equal(r.status, 0, r.output);
      assert.ok(!existsSync(join(box.dir, 'h')));
    });

    test("a lock file's directory is created", async () => {
      const lock = join(box.dir, 'shared/fs/.ctdb/reclock');
      box.write('ctdb.conf', `[cluster]\n\trecovery lock = ${lock}\n`);
      const r = await script.run('init');
      assert.equal(r.status, 0, r.output);
      assert.ok(existsSync(join(box.dir, 'shared/fs/.ctdb')));
    });

    test('an invalid configuration is an error', async () => {
      box.write('ctdb.conf', '[cluster]\n\tnode address = notanip\n');
      const r = await script.run('init');
      assert.equal(r.status, 1);
      assert.match(r.output, /Invalid value for \[cluster\] -> node address = notanip/);
      assert.match(r.output, /Unexpected error getting recovery lock configuration/);
    });
  },
);

describe(
  '00.ctdb',
  {
    skip: haveCtdbConfig && haveTdb ? false : 'needs ctdb-config and tdbtool',
  },
  () => {
    let box: ScriptSandbox;
    let script: HookServer;
    let volatile: string;
    let persistent: string;
    before(async () => {
      box = new ScriptSandbox('c0');
      volatile = join(box.dir, 'volatile');
      persistent = join(box.dir, 'persistent');
      mkdirSync(volatile);
      mkdirSync(persistent);
      mkdirSync(join(box.dir, 'state'));
      box.write(
        'ctdb.conf',
        `[database]\n\tvolatile database directory = ${volatile}\n\tpersistent database directory = ${persistent}\n\tstate database directory = ${join(box.dir, 'state')}\n`,
      );
      script = await HookServer.start(
        '00.ctdb',
        box.env({ CTDB_TEST_MODE: '1' }),
        undefined,
        box.install('00.ctdb'),
      );
    });
    after(async () => {
      await script.stop();
      box.cleanup();
    });

    test('init empties the script state directory and caches the database options', async () => {
      writeFileSync(join(box.varDir, 'leftover'), 'x');
      const r = await script.run('init');
      assert.equal(r.status, 0, r.output);
      assert.ok(!existsSync(join(box.varDir, 'leftover')));
      assert.match(
        String(spawnSync('cat', [join(box.varDir, 'db_options.cache')]).stdout),
        new RegExp(`CTDB_DBDIR="${volatile}"`),
      );
    });

    test('a corrupt volatile database is moved aside, keeping a bounded number of backups', async () => {
      box.write('events/legacy/00.ctdb.options', 'CTDB_MAX_CORRUPT_DB_BACKUPS=2\n');
      for (let i = 0; i < 3; i++) {
        writeFileSync(join(volatile, 'locking.tdb.0'), 'this is not a tdb');
        const r = await script.run('init');
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /WARNING: database .*locking\.tdb\.0 is corrupted\./);
        // Backups are named by the second; make the next one distinct.
        await new Promise((res) => setTimeout(res, 1100));
      }
      const backups = readdirSync(volatile).filter((n) => n.endsWith('.corrupt'));
      assert.equal(backups.length, 2, backups.join(' '));
      assert.ok(!existsSync(join(volatile, 'locking.tdb.0')));
    });

    test('a corrupt persistent database stops the node from starting', async () => {
      const db = join(persistent, 'secrets.tdb.0');
      writeFileSync(db, 'garbage');
      const r = await script.run('init');
      assert.equal(r.status, 1);
      assert.ok(r.output.includes(`Persistent database ${db} is corrupted! CTDB will not start.`));
    });

    test('startup attaches ctdb.tdb as a persistent database', async () => {
      box.clearCalls();
      const r = await script.run('startup');
      assert.equal(r.status, 0, r.output);
      assert.ok(box.calls().includes('attach ctdb.tdb persistent'), box.calls().join('\n'));
    });
  },
);
