// The parent side of the mutex-helper protocol (runtime/cluster-lock) with real processes:
// the status byte, the parent's own timeout, EOF rules, the setting, the recovery-mode check.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ClusterLockSettingError,
  ClusterMutex,
  MutexStatus,
  checkLockDuringRecovery,
  helperArgv,
  ourHelperCommand,
  parseClusterLockSetting,
} from '../../runtime/cluster-lock/index.js';
import { killAll, pidGone, root, timeUntil } from './util.js';
import { nativeProgram } from '../../runtime/paths/index.js';

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

describe('cluster lock setting', () => {
  test('a file runs our fcntl helper with just the file', () => {
    const s = parseClusterLockSetting('/clusterfs/.ctdb/reclock');
    assert.deepEqual(s, { kind: 'file', file: '/clusterfs/.ctdb/reclock' });
    const argv = helperArgv(s, {});
    assert.equal(argv.at(-1), '/clusterfs/.ctdb/reclock');
    assert.deepEqual(argv.slice(0, -1), ourHelperCommand('ctdb_mutex_fcntl_helper'));
    assert.match(argv.at(-2) ?? '', /ctdb_mutex_fcntl_helper(\.(ts|js))?$/);
    assert.deepEqual(helperArgv(s, { CTDB_CLUSTER_MUTEX_HELPER: '/opt/h' }), [
      '/opt/h',
      '/clusterfs/.ctdb/reclock',
    ]);
  });

  test(
    'the C fcntl helper is preferred when built',
    { skip: nativeProgram('ctdb_mutex_fcntl_helper') === undefined ? 'not built' : false },
    () => {
      const native = join(root, 'build', 'Release', 'ctdb_mutex_fcntl_helper');
      assert.deepEqual(ourHelperCommand('ctdb_mutex_fcntl_helper'), [native]);
      // No C version of the etcd helper: always the script.
      assert.match(ourHelperCommand('ctdb_etcd_lock').at(-1) ?? '', /ctdb_etcd_lock\.(ts|js)$/);
    },
  );

  test('!command is split on spaces and tabs, without quoting', () => {
    const s = parseClusterLockSetting(
      '!/usr/libexec/ctdb/ctdb_etcd_lock  -c\t"/etc/ctdb/my etcd" -v',
    );
    assert.deepEqual(s, {
      kind: 'command',
      argv: ['/usr/libexec/ctdb/ctdb_etcd_lock', '-c', '"/etc/ctdb/my', 'etcd"', '-v'],
    });
    assert.throws(() => parseClusterLockSetting('! \t'), ClusterLockSettingError);
    assert.throws(() => parseClusterLockSetting(''), ClusterLockSettingError);
  });
});

describe('ClusterMutex (parent side)', { timeout: 120_000 }, () => {
  after(killAll);

  test("the status byte is read; '0' then EOF is 'lost', once", async () => {
    const m = ClusterMutex.take({
      argv: sh('printf 0; sleep 0.3; printf 0000; exit 0'),
      timeoutMs: 10_000,
    });
    const r = await m.result;
    assert.equal(r.status, MutexStatus.Held);
    assert.equal(m.state, 'held');
    const reasons: string[] = [];
    m.on('lost', (why) => reasons.push(why));
    await m.exited();
    await timeUntil(() => reasons.length > 0, 2000, 'lost');
    assert.equal(m.state, 'lost');
    assert.equal(reasons.length, 1);
  });

  test("no byte within the timeout: the parent's own '2', and the helper is terminated", async () => {
    const m = ClusterMutex.take({ argv: ['sleep', '30'], timeoutMs: 300 });
    const r = await m.result;
    assert.equal(r.status, MutexStatus.Timeout);
    assert.ok(r.latencyMs >= 290 && r.latencyMs < 5000, `latency ${r.latencyMs}`);
    assert.equal(m.state, 'timed-out');
    const pid = m.pid!;
    await timeUntil(() => pidGone(pid) || m.state === 'timed-out', 2000, 'exit');
    await m.exited();
  });

  test("EOF without a byte, a bad byte, or a helper that cannot start: '3'", async () => {
    for (const argv of [['true'], sh('printf x'), ['/nonexistent/helper']]) {
      const m = ClusterMutex.take({ argv, timeoutMs: 10_000 });
      const r = await m.result;
      assert.equal(r.status, MutexStatus.Error, argv.join(' '));
      assert.equal(m.state, 'failed');
    }
  });

  test("'1' is contention; stderr lines reach the log callback", async () => {
    const lines: string[] = [];
    const m = ClusterMutex.take({
      argv: sh('echo busy >&2; printf 1'),
      timeoutMs: 10_000,
      onStderr: (l) => lines.push(l),
    });
    assert.equal((await m.result).status, MutexStatus.Contended);
    await m.exited();
    await timeUntil(() => lines.length > 0, 2000, 'stderr');
    assert.deepEqual(lines, ['busy']);
  });

  test('release() sends SIGTERM and no loss is reported', async () => {
    const m = ClusterMutex.take({ argv: sh('printf 0; exec sleep 30'), timeoutMs: 10_000 });
    assert.equal((await m.result).status, MutexStatus.Held);
    let lost = false;
    m.on('lost', () => (lost = true));
    m.release();
    await m.exited();
    assert.equal(m.state, 'released');
    assert.equal(lost, false);
  });
});

describe('recovery-mode lock check', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-recmode-'));
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('contention is good; taking the lock is a coherence error', async () => {
    const file = join(dir, 'reclock');
    const helper = [...ourHelperCommand('ctdb_mutex_fcntl_helper'), file];
    const leader = ClusterMutex.take({ argv: helper, timeoutMs: 60_000 });
    assert.equal((await leader.result).status, MutexStatus.Held);
    const good = await checkLockDuringRecovery(helper, { timeoutMs: 60_000 });
    assert.equal(good.ok, true);
    assert.equal(good.status, MutexStatus.Contended);
    leader.release();
    await leader.exited();
    const bad = await checkLockDuringRecovery(helper, { timeoutMs: 60_000 });
    assert.equal(bad.ok, false);
    assert.equal(bad.status, MutexStatus.Held);
    assert.match(!bad.ok ? bad.error : '', /lock coherence problem/);
  });

  test('a helper that does not answer within the timeout counts as contention (2)', async () => {
    const r = await checkLockDuringRecovery(['sleep', '30'], { timeoutMs: 200 });
    assert.deepEqual({ ok: r.ok, status: r.status }, { ok: true, status: MutexStatus.Timeout });
  });
});
