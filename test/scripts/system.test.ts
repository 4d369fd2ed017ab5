// 05.system: filesystem and memory thresholds with CTDB's messages, cache files and exit
// status, measured on this machine's real filesystem and /proc/meminfo. Thresholds of a few
// percent force the warning and failure paths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HookServer, ScriptSandbox } from './support/script-host.js';
import { filesystemUsagePercent } from '../../lib/system/index.js';

describe('05.system', () => {
  let box: ScriptSandbox;
  let script: HookServer;
  let fs: string;
  let usage: number;

  before(async () => {
    box = new ScriptSandbox('sys');
    fs = join(box.dir, 'data');
    mkdirSync(fs);
    usage = (await filesystemUsagePercent(fs))!;
    // Database directories for ctdb_get_db_options, as ctdb-config would report them.
    script = await HookServer.start(
      '05.system',
      box.env({
        CTDB_DBDIR: join(box.dir, 'volatile'),
        CTDB_DBDIR_PERSISTENT: join(box.dir, 'persistent'),
        CTDB_DBDIR_STATE: join(box.dir, 'state'),
      }),
    );
  });

  after(async () => {
    await script.stop();
    box.cleanup();
  });

  const stateDir = (): string => join(box.varDir, 'service/system-monitoring');

  test(
    'the filesystem warning is printed once per new figure, then a notice when it clears',
    {
      skip: false,
    },
    async () => {
      assert.ok(usage >= 2, `this test needs a filesystem at least 2% full (${fs} is ${usage}%)`);
      box.write(
        'script.options',
        `CTDB_MONITOR_FILESYSTEM_USAGE="${fs}:1"\nCTDB_MONITOR_MEMORY_USAGE=""\n`,
      );
      const first = await script.run('monitor');
      assert.equal(first.status, 0, first.output);
      assert.ok(
        first.output.includes(`WARNING: Filesystem ${fs} utilization ${usage}% >= threshold 1%\n`),
        first.output,
      );
      const cache = join(stateDir(), `cache_Filesystem_${fs.replaceAll('/', 'SLASH_')}`);
      assert.ok(existsSync(cache), 'the reported figure is cached');
      const second = await script.run('monitor');
      assert.doesNotMatch(second.output, /Filesystem/, 'an unchanged figure is not repeated');
      box.write('script.options', `CTDB_MONITOR_FILESYSTEM_USAGE="${fs}:100"\n`);
      const cleared = await script.run('monitor');
      assert.ok(
        cleared.output.includes(
          `NOTICE: Filesystem ${fs} utilization ${usage}% < threshold 100%\n`,
        ),
        cleared.output,
      );
      assert.ok(!existsSync(cache));
    },
  );

  test('the filesystem error threshold fails monitor', async () => {
    box.write('script.options', `CTDB_MONITOR_FILESYSTEM_USAGE="${fs}:1:2"\n`);
    const r = await script.run('monitor');
    assert.equal(r.status, 1, r.output);
    assert.ok(r.output.includes(`ERROR: Filesystem ${fs} utilization ${usage}% >= threshold 2%\n`));
  });

  test('a missing directory and an invalid threshold are warned about', async () => {
    box.write(
      'script.options',
      `CTDB_MONITOR_FILESYSTEM_USAGE="/nonexistent/h2b:90 ${fs}:abc"\nCTDB_MONITOR_MEMORY_USAGE=100\n`,
    );
    const r = await script.run('monitor');
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /WARNING: Directory \/nonexistent\/h2b does not exist/);
    assert.ok(
      r.output.includes(`WARNING: abc is an invalid percentage in "Filesystem ${fs}" check`),
    );
  });

  test('memory thresholds warn and fail with CTDB text', async () => {
    const opts = (mem: string): void =>
      box.write(
        'script.options',
        `CTDB_MONITOR_FILESYSTEM_USAGE="${fs}:100"\nCTDB_MONITOR_MEMORY_USAGE=${mem}\n`,
      );
    opts('100'); // below every threshold: clears any cached figure
    assert.equal((await script.run('monitor')).status, 0);
    opts('1:1');
    const fail = await script.run('monitor');
    assert.equal(fail.status, 1, fail.output);
    assert.match(fail.output, /^ERROR: System memory utilization \d+% >= threshold 1%$/m);
    // Crossing the threshold dumps memory information (meminfo, then ps) once.
    assert.match(fail.output, /MemTotal:/);
    const again = await script.run('monitor');
    assert.equal(again.status, 1);
    assert.doesNotMatch(again.output, /MemTotal:/, 'no second dump while still unhealthy');
    opts('100');
    const notice = await script.run('monitor');
    assert.match(notice.output, /^NOTICE: System memory utilization \d+% < threshold 100%$/m);
    opts('1');
    const warn = await script.run('monitor');
    assert.equal(warn.status, 0, warn.output);
    assert.match(warn.output, /^WARNING: System memory utilization \d+% >= threshold 1%$/m);
  });

  test('without settings the database filesystems are checked at 90%', async () => {
    box.write('script.options', '');
    for (const d of ['volatile', 'persistent', 'state'])
      mkdirSync(join(box.dir, d), { recursive: true });
    const r = await script.run('monitor');
    assert.equal(r.status, 0, r.output);
    const defaults = join(stateDir(), 'cache_filsystem_usage_defaults');
    assert.ok(existsSync(defaults));
  });
});
