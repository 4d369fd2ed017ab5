// ctdb_mutex_fcntl_helper against real files and real processes, driven through the
// parent-side client (fixtures/hold.ts stands in for ctdbd).
import assert from 'node:assert/strict';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ourHelperCommand } from '../../runtime/cluster-lock/index.js';
import { getLock, setLock } from '../../runtime/cluster-lock/native.js';
import { Proc, heldStatus, hold, killAll, timeUntil } from './util.js';

const helper = ourHelperCommand('ctdb_mutex_fcntl_helper');
let dir: string;

/** True when nobody holds byte 0 of `file` (asked from this process, with F_GETLK). */
function lockFree(file: string): boolean {
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    return getLock(fd, 'write', 0, 1) === null;
  } finally {
    closeSync(fd);
  }
}

/** Runs the helper once with no parent interest: its status byte. */
async function tryOnce(file: string): Promise<string> {
  const p = new Proc([...helper, file, '0']);
  await p.waitFor(/[0-3]/, 30_000);
  await timeUntil(() => p.stdout !== '', 5000, 'a status byte');
  const status = p.stdout[0]!;
  p.kill('SIGTERM');
  await p.exited;
  return status;
}

describe('ctdb_mutex_fcntl_helper', { timeout: 180_000 }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-fcntl-'));
  });
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second helper meets contention and prints 1; SIGTERM releases at once', async () => {
    const file = join(dir, 'contend.lock');
    const a = hold([...helper, file]);
    const { status, helperPid } = await heldStatus(a);
    assert.equal(status, '0');
    assert.equal(lockFree(file), false);
    assert.equal(await tryOnce(file), '1');

    process.kill(helperPid, 'SIGTERM');
    const ms = await timeUntil(() => lockFree(file), 2000, 'release after SIGTERM');
    console.log(`fcntl: released ${ms.toFixed(1)} ms after SIGTERM`);
    await a.waitFor(/^lost /m); // the parent sees EOF: lock lost
    assert.equal(await tryOnce(file), '0');
    a.kill('SIGKILL');
  });

  test('release() from the parent frees the lock and reports no loss', async () => {
    const file = join(dir, 'release.lock');
    const a = hold([...helper, file]);
    assert.equal((await heldStatus(a)).status, '0');
    a.kill('SIGTERM'); // hold.ts: mutex.release(), then exits once the helper has gone
    await a.waitFor(/^released$/m);
    assert.doesNotMatch(a.out, /^lost /m);
    assert.equal(lockFree(file), true);
  });

  test("kill -9 of the helper's parent releases the lock at once", async () => {
    const file = join(dir, 'parent.lock');
    const a = hold([...helper, file]);
    assert.equal((await heldStatus(a)).status, '0');
    a.kill('SIGKILL');
    const ms = await timeUntil(() => lockFree(file), 5000, 'release after the parent died');
    console.log(
      `fcntl: released ${ms.toFixed(1)} ms after kill -9 of the parent (CTDB polls every 5000 ms)`,
    );
    // Well under the 5 s of CTDB's own poll, with room for a very loaded machine.
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  test('removing the lock file loses the lock (recheck 1 s)', async () => {
    const file = join(dir, 'removed.lock');
    const a = hold([...helper, file, '1']);
    assert.equal((await heldStatus(a)).status, '0');
    unlinkSync(file);
    await a.waitFor(/^lost /m, 10_000);
    assert.match(a.out, /lock lost - lock file .*removed\.lock/);
    a.kill('SIGKILL');
  });

  test('replacing the lock file loses the lock (inode changed)', async () => {
    const file = join(dir, 'replaced.lock');
    const a = hold([...helper, file, '1']);
    assert.equal((await heldStatus(a)).status, '0');
    writeFileSync(`${file}.new`, '');
    renameSync(`${file}.new`, file);
    await a.waitFor(/^lost /m, 10_000);
    assert.match(a.out, /inode changed/);
    a.kill('SIGKILL');
  });

  test('a liveness probe stuck longer than PING_TIMEOUT loses the lock', async () => {
    const file = join(dir, 'stuck.lock');
    const a = hold([...helper, file, '1', '1']);
    assert.equal((await heldStatus(a)).status, '0');
    // Hold byte 1 from this process: the helper's blocking probe cannot finish.
    const fd = openSync(file, constants.O_RDWR);
    try {
      setLock(fd, 'write', 1, 1);
      await a.waitFor(/^lost /m, 10_000);
      assert.match(a.out, /ping timeout/);
    } finally {
      closeSync(fd);
      a.kill('SIGKILL');
    }
  });

  test('an unopenable path prints 3 with a message; bad arguments print usage', async () => {
    const p = new Proc([...helper, join(dir, 'no', 'such', 'dir', 'x.lock')]);
    await p.exited;
    assert.equal(p.stdout, '3');
    assert.match(p.out, /Unable to open .*x\.lock/);
    const u = new Proc([...helper, 'f', 'soon']);
    await u.exited;
    assert.match(u.out, /recheck_interval must be a whole number.*\n.*Usage:/);
  });
});
