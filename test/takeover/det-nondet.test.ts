// Deterministic (IPAllocAlgorithm=0) and non-deterministic (1) allocation on hand-checked
// layouts of five or six addresses 10.0.0.1-6 over three nodes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DebugLevel, ipalloc } from '../../runtime/takeover/ipalloc/index.js';
import { runTakeoverTests } from '../../runtime/takeover/ipalloc/test-driver.js';

function run(
  algorithm: 'det' | 'nondet',
  states: string,
  stdin: string,
  env: Record<string, string> = {},
): { out: string[]; log: string[] } {
  const r = runTakeoverTests(['ipalloc', states], { CTDB_IP_ALGORITHM: algorithm, ...env }, stdin);
  assert.equal(r.status, 0, r.stderr);
  const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
  return { out: lines(r.stdout), log: lines(r.stderr) };
}

const five = (owners: readonly number[]): string =>
  owners.map((o, i) => `10.0.0.${i + 1} ${o}\n`).join('');

test('det: the i-th address of the list goes to node i mod N whatever it had', () => {
  // List order .5 .4 .3 .2 .1 -> nodes 0 1 2 0 1, although everything sat on node 2.
  const r = run('det', '0,0,0', five([2, 2, 2, 2, 2]));
  assert.deepEqual(r.log, ['Deterministic IPs enabled. Resetting all ip allocations']);
  assert.deepEqual(r.out, ['10.0.0.5 0', '10.0.0.4 1', '10.0.0.3 2', '10.0.0.2 0', '10.0.0.1 1']);
});

test('det: a home node that cannot host loses its addresses to the least loaded', () => {
  // Node 1 is unhealthy: .4 and .1 lose their home. .4: node 0 has 2, node 2 has 1 -> 2.
  // .1: both have 2 -> the lower PNN, 0.
  const r = run('det', '0,2,0', five([-1, -1, -1, -1, -1]));
  assert.deepEqual(r.log, [
    'Deterministic IPs enabled. Resetting all ip allocations',
    'Unassign IP: 10.0.0.4 from 1',
    'Unassign IP: 10.0.0.1 from 1',
  ]);
  assert.deepEqual(r.out, ['10.0.0.5 0', '10.0.0.4 2', '10.0.0.3 2', '10.0.0.2 0', '10.0.0.1 0']);
});

test('det: NoIPFailback is ignored with CTDB\u2019s warning', () => {
  const r = run('det', '0,0', five([0, 0, 0, 0, 0]), {
    CTDB_SET_NoIPFailback: '1',
    CTDB_TEST_LOGLEVEL: 'WARNING',
  });
  assert.deepEqual(r.log, [
    "WARNING: 'NoIPFailback' set but ignored - incompatible with 'Deterministic IPs",
  ]);
  assert.deepEqual(r.out, ['10.0.0.5 0', '10.0.0.4 1', '10.0.0.3 0', '10.0.0.2 1', '10.0.0.1 0']);
});

test('det: with no node able to host, everything is unassigned with warnings', () => {
  const result = ipalloc(
    {
      nodes: [0x08, 0x20].map((flags) => ({
        flags,
        known: [{ address: '10.0.0.1', pnn: 0 }],
      })),
      tunables: { algorithm: 0, noIpFailback: false, noIpTakeover: false },
    },
    { logLevel: DebugLevel.WARNING },
  );
  assert.deepEqual(
    result.log.map((l) => [l.level, l.text]),
    [
      [1, "Could not find node to take over public address '10.0.0.1'"],
      [1, 'Failed to find node to cover ip 10.0.0.1'],
    ],
  );
  assert.deepEqual(
    result.ips.map((ip) => ip.pnn),
    [-1],
  );
});

test('nondet: addresses stay where they are while their owner can host them', () => {
  const r = run('nondet', '0,0,0', five([0, 1, 2, 0, 1]));
  assert.deepEqual(r.log, []);
  assert.deepEqual(r.out, ['10.0.0.5 1', '10.0.0.4 0', '10.0.0.3 2', '10.0.0.2 1', '10.0.0.1 0']);
});

test('nondet: failover of a stopped node goes to the least loaded, lowest PNN first', () => {
  // Six addresses, two per node; node 2 stopped. .4 (list order .6 .5 .4 ...) goes to node 0
  // (2 vs 2), then .1 to node 1 (3 vs 2). Counts are 3 and 3: nothing to even out.
  const r = run(
    'nondet',
    '0,0,0x20',
    '10.0.0.6 0\n10.0.0.5 1\n10.0.0.4 2\n10.0.0.3 0\n10.0.0.2 1\n10.0.0.1 2\n',
  );
  assert.deepEqual(r.log, ['Unassign IP: 10.0.0.4 from 2', 'Unassign IP: 10.0.0.1 from 2']);
  assert.deepEqual(r.out, [
    '10.0.0.6 0',
    '10.0.0.5 1',
    '10.0.0.4 0',
    '10.0.0.3 0',
    '10.0.0.2 1',
    '10.0.0.1 1',
  ]);
});

test('nondet: failback evens the counts by re-placing the first address of the busiest node', () => {
  // All six on node 0. Rounds: .6 -> 1 (6,0,0); .5 -> 2 (5,1,0); .4 -> 1 (4,1,1: node 1 is
  // the first of the least loaded); .3 -> 2 (3,2,1). Then 2,2,2.
  const six = '10.0.0.1 0\n10.0.0.2 0\n10.0.0.3 0\n10.0.0.4 0\n10.0.0.5 0\n10.0.0.6 0\n';
  const r = run('nondet', '0,0,0', six);
  assert.deepEqual(r.out, [
    '10.0.0.6 1',
    '10.0.0.5 2',
    '10.0.0.4 1',
    '10.0.0.3 2',
    '10.0.0.2 0',
    '10.0.0.1 0',
  ]);
  const noFailback = run('nondet', '0,0,0', six, { CTDB_SET_NoIPFailback: '1' });
  assert.ok(noFailback.out.every((l) => l.endsWith(' 0')));
});

test('nondet: NoIPTakeover keeps every address where it is', () => {
  const r = run('nondet', '0,0,0', five([0, 0, 0, 0, 0]), { CTDB_SET_NoIPTakeover: '1' });
  assert.ok(r.out.every((l) => l.endsWith(' 0')));
});
