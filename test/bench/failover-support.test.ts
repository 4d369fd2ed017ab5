// The failover benchmark's own measuring parts, against situations built by hand: the kernel
// address watch ("addresses moved") in a NetLab, and the pure helpers (median, argument parsing,
// the side-by-side table).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostedWatch, type WatchedCluster } from '../../bench/support/hosted-watch.js';
import {
  FailoverRunError,
  formatTable,
  median,
  parseBenchArgs,
  type BenchResults,
} from '../../bench/support/failover-runs.js';
import { now } from '../support/address-prober.js';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;
const ADDRESSES = ['10.78.0.101', '10.78.0.102'];

/** The watch's view of a two-node lab: each node's eth1 and the addresses on it. */
function labCluster(lab: NetLab): WatchedCluster {
  return {
    nodes: lab.nodes.map((host) => ({ host })),
    publicAddresses: ADDRESSES,
    async kernelHolders() {
      const held = new Map<string, number[]>(ADDRESSES.map((a) => [a, []]));
      for (const [pnn, host] of lab.nodes.entries()) {
        const out = await host.check(['ip', '-o', 'addr', 'show', 'dev', 'eth1']);
        for (const m of out.matchAll(/\binet ([0-9.]+)\//g)) held.get(m[1]!)?.push(pnn);
      }
      return held;
    },
  };
}

async function ip(host: LabHost, op: 'add' | 'del', address: string): Promise<void> {
  await host.check(['ip', 'addr', op, `${address}/24`, 'dev', 'eth1']);
}

describe('kernel address watch', { skip }, () => {
  let lab: NetLab;

  before(async () => {
    lab = await NetLab.create({ nodes: 2, client: false, label: 'hw' });
    for (const n of lab.nodes)
      await n.check(['sysctl', '-qw', 'net.ipv4.conf.eth1.promote_secondaries=1']);
  });

  after(async () => {
    await lab.destroy();
  });

  it('times the moment the last address lands on another node', async () => {
    const [node0, node1] = [lab.nodes[0]!, lab.nodes[1]!];
    for (const a of ADDRESSES) await ip(node0, 'add', a);
    const watch = await HostedWatch.start(labCluster(lab));
    assert.equal(await watch.movedSince(now(), [1], 1000), 0, 'already hosted away from node 1');

    const t0 = now();
    await ip(node1, 'add', ADDRESSES[0]!);
    await sleep(300);
    await ip(node1, 'add', ADDRESSES[1]!);
    const ms = await watch.movedSince(t0, [0], 5000);
    assert.ok(ms >= 300 && ms < 1000, `second address seen after ${ms.toFixed(0)} ms`);

    await watch.snapshot();
    await ip(node1, 'del', ADDRESSES[0]!);
    const t1 = now();
    await assert.rejects(watch.movedSince(t1, [0], 500), /not all on a node other than 0/);
  });
});

describe('failover bench helpers', () => {
  it('takes the median of odd and even samples', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), undefined);
  });

  it('parses the options and rejects bad ones with the flag named', () => {
    const o = parseBenchArgs(
      ['--runs', '7', '--nodes', '4', '--faults', 'kill9,sigstop', '--keepalive-interval', '1'],
      { faults: ['kill9'] },
    );
    assert.equal(o.runs, 7);
    assert.equal(o.nodes, 4);
    assert.deepEqual(o.faults, ['kill9', 'sigstop']);
    assert.equal(o.keepaliveInterval, 1);
    assert.deepEqual(o.daemons, ['debian', 'ours']);
    assert.throws(() => parseBenchArgs(['--runs', '0'], { faults: [] }), FailoverRunError);
    assert.throws(
      () => parseBenchArgs(['--faults', 'reboot'], { faults: [] }),
      /--faults: unknown reboot/,
    );
  });

  it('prints medians side by side with ratio, target and skip reasons', () => {
    const results: BenchResults = new Map([
      [
        'debian',
        {
          samples: new Map([
            ['kill9:moved', [1000, 1200, 1100]],
            ['kill9', [1100, 1300, 1200]],
          ]),
          failures: new Map(),
        },
      ],
      [
        'ours',
        {
          samples: new Map([
            ['kill9:moved', [100, 300, 200]],
            ['kill9', [250]],
          ]),
          failures: new Map([['kill9', ['not every address answered']]]),
        },
      ],
    ]);
    const table = formatTable(results, {
      runs: 3,
      nodes: 3,
      daemons: ['debian', 'ours'],
      faults: ['kill9'],
    });
    const moved = table.split('\n').find((l) => l.includes('addresses moved') && l.includes('s ('));
    assert.match(moved ?? '', /1\.10 s \(n=3\)\s+0\.20 s \(n=3\)\s+0\.18\s+<= 0\.5 s\s+yes/);
    const client = table
      .split('\n')
      .find((l) => l.includes('client answered') && l.includes('s ('));
    assert.match(client ?? '', /1\.20 s \(n=3\)\s+0\.25 s \(n=1, 1 failed\)\s+0\.21/);
    assert.match(table, /ours kill9: not every address answered/);
  });
});
