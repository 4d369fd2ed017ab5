// File-backed toolkit state: unary counters, failcount thresholds and the 05.system threshold
// engine, with CTDB's file formats and messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  counterExists,
  counterGet,
  counterIncr,
  counterInit,
  Failcount,
} from '../../lib/counters/index.js';
import { checkThresholds, thresholdCacheFile } from '../../lib/system/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2b-state-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('ctdb_counter_*: the count is the file size in bytes, one newline per increment', async () => {
  assert.equal(await counterExists(dir, 'smb'), false);
  assert.equal(await counterGet(dir, 'smb'), 0);
  await counterInit(dir, 'smb');
  await counterIncr(dir, 'smb');
  await counterIncr(dir, 'smb');
  assert.equal(await counterGet(dir, 'smb'), 2);
  assert.equal(readFileSync(join(dir, 'smb.failcount'), 'utf8'), '\n\n');
  await counterInit(dir);
  assert.ok(existsSync(join(dir, 'failcount')));
});

describe('failcount', () => {
  test('W:E thresholds warn, then fail, printing the output at each threshold once', async () => {
    const lines: string[] = [];
    const fc = new Failcount({ stateDir: dir, print: (l) => lines.push(l) });
    await fc.init('port 445');
    assert.equal(await fc.incr('port 445', '2:3', 'smbd not listening'), 'ok');
    assert.equal(await fc.incr('port 445', '2:3', 'smbd not listening'), 'warned');
    assert.equal(await fc.incr('port 445', '2:3', 'smbd not listening'), 'failed');
    assert.equal(await fc.incr('port 445', '2:3', 'smbd not listening'), 'failed');
    assert.deepEqual(lines, [
      'WARNING: port 445: fail count 2 >= threshold 2',
      'smbd not listening',
      'ERROR: port 445: fail count 3 >= threshold 3',
      'smbd not listening',
      'ERROR: port 445: fail count 4 >= threshold 3',
    ]);
    lines.length = 0;
    await fc.reset('port 445');
    assert.deepEqual(lines, ['NOTICE: port 445: no longer failing']);
    await fc.reset('port 445');
    assert.equal(lines.length, 1, 'no notice when it was not failing');
  });

  test('a warning-only check repeats its warning once per interval', async () => {
    let now = Date.now();
    const lines: string[] = [];
    const fc = new Failcount({
      stateDir: dir,
      print: (l) => lines.push(l),
      interval: 60,
      now: () => now,
    });
    await fc.init('dir /srv');
    assert.equal(await fc.incr('dir /srv', '1', 'missing'), 'warned');
    assert.equal(await fc.incr('dir /srv', '1', 'missing'), 'ok', 'silent within the interval');
    const stamp = join(dir, 'dir__SLASH_srv.last-warning');
    assert.ok(existsSync(stamp));
    now += 61_000;
    utimesSync(stamp, new Date(now - 61_000), new Date(now - 61_000));
    assert.equal(await fc.incr('dir /srv', '1', 'missing'), 'warned');
    assert.deepEqual(lines, [
      'WARNING: dir /srv: fail count 1 >= threshold 1',
      'missing',
      'WARNING: dir /srv: fail count 3 >= threshold 1',
      'missing',
    ]);
    assert.ok(statSync(stamp).mtimeMs >= now - 1000);
  });

  test('an invalid threshold is reported and ignored', async () => {
    const lines: string[] = [];
    const fc = new Failcount({ stateDir: dir, print: (l) => lines.push(l) });
    await fc.init('x');
    assert.equal(await fc.incr('x', 'a:b'), 'ok');
    assert.deepEqual(lines, [
      'WARNING: a is an invalid threshold in "x" check',
      'WARNING: b is an invalid threshold in "x" check',
    ]);
  });
});

describe('percentage thresholds (05.system)', () => {
  test('warn once per new figure, notice on recovery, fail at the error threshold', async () => {
    const lines: string[] = [];
    let callouts = 0;
    const check = (usage: number, thresholds: string) =>
      checkThresholds({
        thing: 'Filesystem /var',
        thresholds,
        usage,
        stateDir: dir,
        print: (l) => lines.push(l),
        onUnhealthy: () => {
          callouts++;
          return Promise.resolve();
        },
      });
    assert.equal(await check(50, '40:60'), 'ok');
    assert.equal(await check(50, '40:60'), 'ok');
    assert.equal(await check(55, '40:60'), 'ok');
    assert.equal(await check(70, '40:60'), 'unhealthy');
    assert.equal(await check(71, '40:60'), 'unhealthy');
    assert.equal(callouts, 1, 'the callout ran when 55 became 70, not again at 71');
    assert.equal(await check(10, '40:60'), 'ok');
    assert.deepEqual(lines, [
      'WARNING: Filesystem /var utilization 50% >= threshold 40%',
      'WARNING: Filesystem /var utilization 55% >= threshold 40%',
      'ERROR: Filesystem /var utilization 70% >= threshold 60%',
      'ERROR: Filesystem /var utilization 71% >= threshold 60%',
      'NOTICE: Filesystem /var utilization 10% < threshold 40%',
    ]);
    assert.ok(!existsSync(thresholdCacheFile(dir, 'Filesystem /var')));
  });

  test('the unhealthy callout runs only when crossing from below', async () => {
    let callouts = 0;
    const check = (usage: number) =>
      checkThresholds({
        thing: 'System memory',
        thresholds: ':80',
        usage,
        stateDir: dir,
        print: () => undefined,
        onUnhealthy: () => {
          callouts++;
          return Promise.resolve();
        },
      });
    await check(90);
    await check(95);
    assert.equal(callouts, 1);
  });

  test('invalid percentages warn and are ignored', async () => {
    const lines: string[] = [];
    const r = await checkThresholds({
      thing: 'Filesystem /x',
      thresholds: '101:abc',
      usage: 99,
      stateDir: dir,
      print: (l) => lines.push(l),
    });
    assert.equal(r, 'ok');
    assert.deepEqual(lines, [
      'WARNING: abc is an invalid percentage in "Filesystem /x" check',
      'WARNING: 101 is an invalid percentage in "Filesystem /x" check',
    ]);
  });
});
