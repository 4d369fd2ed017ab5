// ctdb_mutex_fcntl_helper against real files and real processes, driven through the
// parent-side client (fixtures/hold.ts stands in for ctdbd). Every case runs against both
// implementations: the C program (build/Release, lib/native/mutex_fcntl_helper.c) and the
// TypeScript one; a last group checks they print the same words for the same bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
import { setTimeout as sleep } from 'node:timers/promises';
import { scriptHelperCommand } from '../../runtime/cluster-lock/index.js';
import { nativeProgram } from '../../runtime/paths/index.js';
import { getLock, setLock } from '../../runtime/cluster-lock/native.js';
import { Proc, heldStatus, hold, killAll, timeUntil } from './util.js';

const nativeHelper = nativeProgram('ctdb_mutex_fcntl_helper');
const notBuilt =
  'build/Release/ctdb_mutex_fcntl_helper is not built (cc -O2 -pthread lib/native/mutex_fcntl_helper.c)';

interface Implementation {
  name: string;
  argv: string[];
  skip: string | false;
}

const implementations: Implementation[] = [
  {
    name: 'C',
    argv: nativeHelper === undefined ? [] : [nativeHelper],
    skip: nativeHelper === undefined ? notBuilt : false,
  },
  { name: 'TypeScript', argv: scriptHelperCommand('ctdb_mutex_fcntl_helper'), skip: false },
];

/** Why the init-parent case cannot run here, or false (it needs `unshare --pid`, i.e. root). */
const pidNamespaces: string | false =
  spawnSync('unshare', ['--pid', '--fork', 'true'], { timeout: 10_000 }).status === 0
    ? false
    : 'cannot create a pid namespace (unshare --pid needs root)';

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
async function tryOnce(helper: readonly string[], file: string): Promise<string> {
  const p = new Proc([...helper, file, '0']);
  await p.waitFor(/[0-3]/, 30_000);
  await timeUntil(() => p.stdout !== '', 5000, 'a status byte');
  const status = p.stdout[0]!;
  p.kill('SIGTERM');
  await p.exited;
  return status;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-fcntl-'));
});
after(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

for (const { name, argv: helper, skip } of implementations) {
  describe(`ctdb_mutex_fcntl_helper (${name})`, { skip, timeout: 180_000 }, () => {
    const at = (file: string): string => join(dir, `${name}-${file}`);

    test('a second helper meets contention and prints 1; SIGTERM releases at once', async () => {
      const file = at('contend.lock');
      const a = hold([...helper, file]);
      const { status, helperPid } = await heldStatus(a);
      assert.equal(status, '0');
      assert.equal(lockFree(file), false);
      assert.equal(await tryOnce(helper, file), '1');

      process.kill(helperPid, 'SIGTERM');
      const ms = await timeUntil(() => lockFree(file), 2000, 'release after SIGTERM');
      console.log(`fcntl: released ${ms.toFixed(1)} ms after SIGTERM`);
      await a.waitFor(/^lost /m); // the parent sees EOF: lock lost
      assert.equal(await tryOnce(helper, file), '0');
      a.kill('SIGKILL');
    });

    test('release() from the parent frees the lock and reports no loss', async () => {
      const file = at('release.lock');
      const a = hold([...helper, file]);
      assert.equal((await heldStatus(a)).status, '0');
      a.kill('SIGTERM'); // hold.ts: mutex.release(), then exits once the helper has gone
      await a.waitFor(/^released$/m);
      assert.doesNotMatch(a.out, /^lost /m);
      assert.equal(lockFree(file), true);
    });

    test("kill -9 of the helper's parent releases the lock at once", async () => {
      const file = at('parent.lock');
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
      const file = at('removed.lock');
      const a = hold([...helper, file, '1']);
      assert.equal((await heldStatus(a)).status, '0');
      unlinkSync(file);
      await a.waitFor(/^lost /m, 10_000);
      assert.match(a.out, /lock lost - lock file .*removed\.lock/);
      a.kill('SIGKILL');
    });

    test('replacing the lock file loses the lock (inode changed)', async () => {
      const file = at('replaced.lock');
      const a = hold([...helper, file, '1']);
      assert.equal((await heldStatus(a)).status, '0');
      writeFileSync(`${file}.new`, '');
      renameSync(`${file}.new`, file);
      await a.waitFor(/^lost /m, 10_000);
      assert.match(a.out, /inode changed/);
      a.kill('SIGKILL');
    });

    test('a liveness probe stuck longer than PING_TIMEOUT loses the lock', async () => {
      const file = at('stuck.lock');
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

    test('the periodic check keeps the lock: byte 0 stays held across several checks', async () => {
      const file = at('kept.lock');
      const a = hold([...helper, file, '1', '5']);
      const { status, helperPid } = await heldStatus(a);
      assert.equal(status, '0');
      await sleep(3500); // three checks at 1 s intervals
      assert.doesNotMatch(a.out, /^lost /m);
      const fd = openSync(file, constants.O_RDWR);
      try {
        assert.equal(getLock(fd, 'write', 0, 1)?.pid, helperPid);
        // Byte 1 is only ever held for the instant of a probe.
        await timeUntil(() => getLock(fd, 'write', 1, 1) === null, 1000, 'byte 1 free');
      } finally {
        closeSync(fd);
      }
      a.kill('SIGKILL');
    });

    test('SIGTERM releases at once even while a probe is stuck (no PING_TIMEOUT)', async () => {
      const file = at('stuck-term.lock');
      const a = hold([...helper, file, '1']);
      const { status, helperPid } = await heldStatus(a);
      assert.equal(status, '0');
      const fd = openSync(file, constants.O_RDWR);
      try {
        setLock(fd, 'write', 1, 1); // the next probe blocks for as long as we hold byte 1
        await sleep(2500);
        assert.doesNotMatch(a.out, /^lost /m); // no ping timeout: a slow probe is not a loss
        process.kill(helperPid, 'SIGTERM');
        await a.waitFor(/^lost /m, 5000);
        // From this process F_GETLK cannot see a conflict with our own byte-1 lock, so ask byte 0.
        assert.equal(getLock(fd, 'write', 0, 1), null);
      } finally {
        closeSync(fd);
        a.kill('SIGKILL');
      }
    });

    test(
      'a helper whose parent is init (pid ≤ 1 seen at start) never waits on it: it lets go at once',
      { skip: pidNamespaces },
      async () => {
        // In a new pid namespace the helper is pid 1 itself and sees parent pid 0.
        const p = new Proc(['unshare', '--pid', '--fork', ...helper, at('init.lock'), '0']);
        const { code } = await p.closed;
        assert.equal(code, 0);
        assert.equal(p.stdout, '0');
        assert.match(p.stderr, /^ctdb_mutex_fcntl_helper: parent == 1$/m);
        assert.equal(lockFree(at('init.lock')), true);
      },
    );

    test('an unopenable path prints 3 with a message; bad arguments print usage', async () => {
      const p = new Proc([...helper, join(dir, 'no', 'such', 'dir', 'x.lock')]);
      await p.closed;
      assert.equal(p.stdout, '3');
      assert.match(p.out, /Unable to open .*x\.lock/);
      const u = new Proc([...helper, 'f', 'soon']);
      await u.closed;
      assert.match(u.out, /recheck_interval must be a whole number.*\n.*Usage:/);
    });
  });
}

/** One run of a helper that exits by itself: exit code, stdout and stderr apart. */
async function runToEnd(
  argv: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new Proc(argv);
  const { code } = await p.closed;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

describe(
  'the C and TypeScript helpers say the same',
  { skip: implementations[0]!.skip, timeout: 120_000 },
  () => {
    const [c, ts] = implementations as [Implementation, Implementation];
    const cases: string[][] = [
      [],
      [''],
      ['f', 'soon'],
      ['f', '-1'],
      ['f', '1', '2.5'],
      ['f', '1', '99999999999999999999'],
      ['f', '2000001'],
      ['f', '1', '2', '3'],
    ];
    for (const args of cases) {
      test(`arguments ${JSON.stringify(args)}`, async () => {
        const [fromC, fromTs] = await Promise.all([
          runToEnd([...c.argv, ...args]),
          runToEnd([...ts.argv, ...args]),
        ]);
        assert.deepEqual(fromC, fromTs);
        assert.equal(fromC.code, 1);
        assert.equal(fromC.stdout, ''); // no status byte: the parent reads EOF as an error
      });
    }

    const unopenable: [string, () => string][] = [
      ['a missing directory', () => join(dir, 'no', 'such', 'dir', 'x.lock')],
      ['a directory', () => dir],
      ['a name too long', () => join(dir, 'x'.repeat(300))],
    ];
    for (const [what, path] of unopenable) {
      test(`a lock file that cannot be opened: ${what}`, async () => {
        const [fromC, fromTs] = await Promise.all([
          runToEnd([...c.argv, path()]),
          runToEnd([...ts.argv, path()]),
        ]);
        assert.deepEqual(fromC, fromTs);
        assert.equal(fromC.stdout, '3');
        assert.match(fromC.stderr, /^ctdb_mutex_fcntl_helper: Unable to open /);
      });
    }
  },
);
