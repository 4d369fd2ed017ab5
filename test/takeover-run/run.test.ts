// The leader's takeover run against in-process nodes (real handlers, real codecs; the control
// transport and event daemon are fakes standing in for ctdbd, which runs them for real).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Control, NodeFlag, Srvid, disableMessagePayload } from '../../runtime/protocol/index.js';
import { TakeoverRunner, takeoverRun } from '../../runtime/takeover/run.js';
import { FakeCluster, tunables } from './fake-cluster.js';

const FOUR = ['10.0.0.1/24 eth0', '10.0.0.2/24 eth0', '10.0.0.3/24 eth0', '10.0.0.4/24 eth0']
  .join('\n')
  .concat('\n');

/** Each address held by exactly one node; returns address → pnn. */
function owners(c: FakeCluster): Map<string, number> {
  const out = new Map<string, number>();
  for (const [a, ns] of c.holders()) {
    assert.equal(ns.length, 1, `${a} held by ${ns.join(',')}`);
    out.set(a, ns[0]!);
  }
  return out;
}

function counts(c: FakeCluster): number[] {
  return c.nodes.map((n) => n.kernel.size);
}

describe('takeoverRun', () => {
  it('spreads the addresses over healthy nodes and every node learns the owners', async () => {
    const c = FakeCluster.create(FOUR, 3);
    const report = await takeoverRun(c);
    assert.equal(owners(c).size, 4);
    assert.deepEqual(
      counts(c).sort((a, b) => a - b),
      [1, 1, 2],
    );
    // Redundant releases told the non-owners who owns each address.
    const own = owners(c);
    for (const n of c.nodes) {
      for (const ip of n.ips.getPublicIps(false)) assert.equal(ip.pnn, own.get(ip.addr.address));
    }
    assert.equal(report.takeovers, 4);
    // Every connected node ran ipreallocated; every takeip was announced.
    for (const n of c.nodes)
      assert.equal(n.events.filter((e) => e.event === 'ipreallocated').length, 1);
    assert.equal(
      c.nodes.reduce((s, n) => s + n.announced.length, 0),
      4,
    );
  });

  it('fails over from a disconnected node and fails back when it returns', async () => {
    const c = FakeCluster.create(FOUR, 3);
    await takeoverRun(c);
    const lost = [...owners(c)].filter(([, p]) => p === 1).map(([a]) => a);
    assert.ok(lost.length > 0);
    c.node(1).flags = NodeFlag.DISCONNECTED;
    c.node(1).kernel.clear(); // it died with its addresses
    const sent = c.controls.length;
    await takeoverRun(c);
    assert.ok(!c.controls.slice(sent).some((x) => x.dest === 1), 'nothing sent to the dead node');
    const after = owners(c);
    assert.equal(after.size, 4);
    for (const a of lost) assert.notEqual(after.get(a), 1);
    c.node(1).flags = 0;
    c.node(1).ips.table.vnns.forEach((v) => (v.pnn = -1));
    await takeoverRun(c);
    assert.ok(c.node(1).kernel.size > 0, 'node 1 got its share back');
    assert.equal(owners(c).size, 4);
  });

  it('a banned/disabled node releases its addresses to the others', async () => {
    const c = FakeCluster.create(FOUR, 3);
    await takeoverRun(c);
    c.node(2).flags = NodeFlag.PERMANENTLY_DISABLED;
    await takeoverRun(c);
    assert.equal(c.node(2).kernel.size, 0);
    assert.equal(owners(c).size, 4);
    assert.ok(c.node(2).events.some((e) => e.event === 'releaseip'));
    // Local clients on node 2 heard SRVID_RELEASE_IP for each address it dropped.
    assert.ok(c.node(2).clientMessages.some((m) => m.srvid === Srvid.RELEASE_IP));
  });

  it('NoIPFailback: a returning node gets nothing back', async () => {
    const c = FakeCluster.create(FOUR, 3);
    c.tunables = tunables({ NoIPFailback: 1 });
    await takeoverRun(c);
    c.node(0).flags = NodeFlag.PERMANENTLY_DISABLED;
    await takeoverRun(c);
    assert.equal(c.node(0).kernel.size, 0);
    c.node(0).flags = 0;
    await takeoverRun(c);
    assert.equal(c.node(0).kernel.size, 0, 'no failback');
    assert.equal(owners(c).size, 4);
  });

  it('NoIPTakeover: addresses stay put, a failed node’s addresses become unassigned', async () => {
    const c = FakeCluster.create(FOUR, 3);
    await takeoverRun(c);
    const before = owners(c);
    c.tunables = tunables({ NoIPTakeover: 1 });
    c.node(1).flags = NodeFlag.PERMANENTLY_DISABLED;
    await takeoverRun(c);
    const after = owners(c);
    for (const [a, p] of before) {
      if (p === 1) assert.equal(after.get(a), undefined);
      else assert.equal(after.get(a), p);
    }
    const view = c.node(0).ips.getPublicIps(false);
    for (const ip of view) {
      if (before.get(ip.addr.address) === 1) assert.equal(ip.pnn, 0xffffffff);
    }
  });

  it('a node failing RELEASE_IP gets the ban credits and the run fails', async () => {
    const c = FakeCluster.create(FOUR, 4);
    await takeoverRun(c);
    c.failing.add(`3:${Control.RELEASE_IP}`);
    c.node(1).flags = NodeFlag.PERMANENTLY_DISABLED;
    await assert.rejects(takeoverRun(c), (e: Error & { failedPnns?: number[] }) => {
      assert.deepEqual(e.failedPnns, [3]);
      return true;
    });
    assert.deepEqual(c.banned(), [3]);
    // No takeovers were sent after the failed releases.
    const i = c.controls.findLastIndex((x) => x.opcode === Control.GET_PUBLIC_IPS);
    assert.ok(!c.controls.slice(i).some((x) => x.opcode === Control.TAKEOVER_IP));
  });

  it('a failing takeip event: TAKEOVER_IP fails, that node is credited', async () => {
    const c = FakeCluster.create(FOUR, 3);
    c.node(2).failingEvents.add('takeip');
    await assert.rejects(takeoverRun(c));
    assert.deepEqual(c.banned(), [2]);
    c.tunables = tunables({ EnableBans: 0 });
    await assert.rejects(takeoverRun(c));
    assert.deepEqual(c.banned(), [2], 'no more credits with EnableBans=0');
  });

  it('deterministic and nondeterministic algorithms also give every address one home', async () => {
    for (const algorithm of [0, 1]) {
      const c = FakeCluster.create(FOUR, 5);
      c.tunables = tunables({ IPAllocAlgorithm: algorithm });
      await takeoverRun(c);
      assert.equal(owners(c).size, 4);
      assert.ok(Math.max(...counts(c)) <= 1);
    }
  });
});

describe('TakeoverRunner', () => {
  it('disables runs on the others while running, re-enables, retries after failure', async () => {
    const c = FakeCluster.create(FOUR, 3);
    const runner = new TakeoverRunner(c);
    c.node(1).failingEvents.add('takeip');
    assert.equal(await runner.run([0, 1, 2]), false);
    assert.equal(runner.needTakeoverRun, true);
    const disables = c.messages
      .filter((m) => m.srvid === Srvid.DISABLE_TAKEOVER_RUNS)
      .map((m) => [m.dest, disableMessagePayload.decode(m.data).timeout]);
    assert.deepEqual(disables, [
      [1, 60],
      [2, 60],
      [1, 0],
      [2, 0],
    ]);
    c.node(1).failingEvents.clear();
    assert.equal(await runner.run([0, 1, 2]), true);
    assert.equal(runner.needTakeoverRun, false);
    assert.equal(owners(c).size, 4);
  });

  it('refuses a run while takeover runs are disabled', async () => {
    const c = FakeCluster.create(FOUR, 2);
    const runner = new TakeoverRunner(c);
    runner.gate.disable(30);
    assert.equal(await runner.run([0, 1]), false);
    runner.gate.disable(0);
    assert.equal(await runner.run([0, 1]), true);
  });
});
