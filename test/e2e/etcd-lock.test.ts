// The cluster lock in etcd, on a 3-node cluster whose nodes run our ctdb_etcd_lock helper
// against a real etcd in the hub namespace (on the private bridge): the leader's helper holds
// the key from the leader's namespace; with etcd stopped the helper exits, the leader loses
// the lock and no node leads; with etcd back, a node takes the key and leads again.
// The helper's own cases (two contend, kill -9 of the parent, SIGTERM, an outage seen by a
// stand-in parent) are in test/cluster-lock/etcd-helper.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FaultCluster, UNKNOWN_PNN } from '../support/fault-cluster.js';
import {
  figure,
  nodeOfPid,
  others,
  skipReason,
  waitOneLeader,
  suiteCluster,
} from './support/faults.js';

const skip = skipReason('etcd');
const KEY = '/_locks/_ctdb/fault';

describe('cluster lock in etcd', { skip, timeout: 300_000 }, () => {
  let c: FaultCluster;

  suiteCluster(
    { clusterLock: 'etcd', publicAddresses: 0, label: 'fet' },
    (cluster) => (c = cluster),
  );

  /** The pid in the lock key's value (the holding helper), if the key exists. */
  async function keyHolderPid(): Promise<number | undefined> {
    const r = await c.etcd!.etcdctl(['get', '--print-value-only', KEY]);
    const m = /pid=(\d+)/.exec(r.stdout);
    return r.code === 0 && m !== null ? Number(m[1]) : undefined;
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  test('etcd stopped while held: the helper exits, the lock is lost, nobody leads', async () => {
    const { leader } = await waitOneLeader(c, others(c), 60_000, 'leader with the etcd lock');
    let pid: number | undefined;
    await c.waitFor(
      async () => (pid = await keyHolderPid()) !== undefined,
      20_000,
      'the lock key names its holder',
    );
    assert.equal(nodeOfPid(c, pid!), leader, "the key's holder runs in the leader's namespace");

    const t0 = performance.now();
    await c.etcd!.stop();
    try {
      const exitMs = await c.waitFor(() => !alive(pid!), 30_000, 'the helper exits');
      figure(`etcd stopped: the leader's helper exited after ${Math.round(exitMs)} ms`);
      await c.waitFor(
        async () => {
          const states = await c.states();
          return states.every((s) => s !== undefined && s.leader === UNKNOWN_PNN);
        },
        30_000,
        'no node leads without the lock',
      );
      figure(`etcd stopped: no leader anywhere after ${Math.round(performance.now() - t0)} ms`);
    } finally {
      await c.etcd!.restart();
    }

    const { leader: next, ms } = await waitOneLeader(c, others(c), 90_000, 'a leader again');
    figure(`etcd back: leader ${next} after ${Math.round(ms)} ms`);
    await c.waitFor(
      async () => {
        const p = await keyHolderPid();
        return p !== undefined && alive(p) && nodeOfPid(c, p) === next;
      },
      20_000,
      "the new leader's helper holds the key",
    );
  });
});
