// The leader under a cluster lock file, on a 3-node cluster in namespaces: kill -9 of the
// leader, `ctdb stop`, `ctdb ban` and `ctdb setleaderrole off` on it each make another node take
// the lock and lead (exactly one leader among the others, holding the lock from its namespace);
// removing or replacing the lock file makes the holder's helper notice (inode recheck), the
// lock is lost and taken again on the new file. After each case the cluster settles again.
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FaultCluster } from '../support/fault-cluster.js';
import {
  figure,
  lockHolder,
  others,
  skipReason,
  waitOneLeader,
  suiteCluster,
} from './support/faults.js';

const skip = skipReason('file');

describe('leader and cluster lock file', { skip, timeout: 420_000 }, () => {
  let c: FaultCluster;

  suiteCluster({ publicAddresses: 0, label: 'fld' }, (cluster) => (c = cluster));

  /** The settled cluster's leader, which must hold the lock file. */
  async function settledLeader(): Promise<number> {
    await c.waitSettled(60_000);
    return (await waitOneLeader(c, others(c), 30_000, 'one leader holding the lock')).leader;
  }

  test('kill -9 of the leader: another node takes the lock and leads', async () => {
    const old = await settledLeader();
    await c.kill9(old);
    const { leader, ms } = await waitOneLeader(c, others(c, old), 40_000, 'new leader');
    figure(`new leader ${leader} ${Math.round(ms)} ms after kill -9 of leader ${old}`);
    assert.notEqual(leader, old);
    c.start(old);
    await settledLeader();
  });

  for (const [name, yieldArgs, restoreArgs] of [
    ['ctdb stop', ['stop'], ['continue']],
    ['ctdb ban', ['ban', '60'], ['unban']],
    ['ctdb setleaderrole off', ['setleaderrole', 'off'], ['setleaderrole', 'on']],
  ] as const) {
    test(`${name} on the leader: it yields to another node`, async () => {
      const old = await settledLeader();
      await c.ctdbOk(old, yieldArgs, 60_000);
      const { leader, ms } = await waitOneLeader(c, others(c, old), 40_000, `leader after ${name}`);
      figure(`${name}: leader ${old} → ${leader} in ${Math.round(ms)} ms`);
      assert.notEqual(leader, old);
      // The old leader sees the new one and does not claim the role.
      await c.waitFor(
        async () => (await c.state(old))?.leader === leader,
        15_000,
        `node ${old} sees leader ${leader}`,
      );
      await c.ctdbOk(old, restoreArgs, 60_000);
      await settledLeader();
    });
  }

  for (const how of ['removed', 'replaced'] as const) {
    test(`lock file ${how}: the lock is lost and taken again`, async () => {
      await settledLeader();
      const before = lockHolder(c);
      assert.ok(before !== undefined, 'the lock file is held');
      const file = c.lockFile!;
      if (how === 'removed') rmSync(file);
      else {
        writeFileSync(`${file}.new`, '');
        renameSync(`${file}.new`, file);
      }
      // The old helper gives up (inode check), and some node's new helper holds the new file.
      const ms = await c.waitFor(
        () => {
          const h = lockHolder(c);
          return h !== undefined && h.pid !== before.pid && h.pnn !== undefined;
        },
        40_000,
        `a new helper holds the ${how} lock file`,
      );
      figure(`lock file ${how}: held again by a new helper after ${Math.round(ms)} ms`);
      await c.waitFor(
        () => {
          try {
            process.kill(before.pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        15_000,
        'the old helper exited',
      );
      await settledLeader();
    });
  }
});
