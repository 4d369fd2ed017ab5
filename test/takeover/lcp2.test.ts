// LCP2 on layouts small enough to work out by hand. Distances used below, for the four
// addresses 10.0.0.1-4 (96 equal bits in the zero words, then the last word's XOR):
//   .4/.3 .4/.2 .4/.1: XOR 7, 6, 5 -> 29 leading zeros -> 125, squared 15625
//   .3/.2: XOR 1 -> 31 -> 127 -> 16129;  .3/.1 and .2/.1: XOR 2, 3 -> 30 -> 126 -> 15876

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DsumTable, ipDistance, keyWords } from '../../runtime/takeover/ipalloc/lcp2-distance.js';
import { IpallocLog } from '../../runtime/takeover/ipalloc/log.js';
import { AllocState } from '../../runtime/takeover/ipalloc/state.js';
import { parseIpAddress } from '../../runtime/takeover/ipalloc/address.js';
import { runTakeoverTests } from '../../runtime/takeover/ipalloc/test-driver.js';

function run(
  states: string,
  stdin: string,
  env: Record<string, string> = {},
): { out: string[]; log: string[] } {
  const r = runTakeoverTests(['ipalloc', states], { CTDB_TEST_LOGLEVEL: 'INFO', ...env }, stdin);
  assert.equal(r.status, 0, r.stderr);
  const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
  return { out: lines(r.stdout), log: lines(r.stderr) };
}

const FOUR = '10.0.0.1 {1}\n10.0.0.2 {2}\n10.0.0.3 {3}\n10.0.0.4 {4}\n';
const layout = (o1: number, o2: number, o3: number, o4: number): string =>
  FOUR.replace('{1}', String(o1))
    .replace('{2}', String(o2))
    .replace('{3}', String(o3))
    .replace('{4}', String(o4));

test('distance counts equal leading bits word by word, and keeps counting after a difference', () => {
  const state = new AllocState(
    1,
    ['10.0.0.4', '10.0.0.3', '10.0.0.1', '2001:db8:1::2', '2001:db8::1', '8000::', '::'].map(
      parseIpAddress,
    ),
    [-1, -1, -1, -1, -1, -1, -1],
    new Uint8Array(7),
    false,
    false,
    [],
    new IpallocLog(0),
  );
  const w = keyWords(state);
  assert.equal(ipDistance(w, 0, 1), 125);
  assert.equal(ipDistance(w, 1, 2), 126);
  assert.equal(ipDistance(w, 0, 0), 128);
  // Word 1 differs in bit 15 (0x10000): 32 + 15, then words 2 and 3 add 32 and 30 (XOR 3).
  assert.equal(ipDistance(w, 3, 4), 32 + 15 + 32 + 30);
  // 8000:: and :: differ in the very first bit; the three equal words still add 96.
  assert.equal(ipDistance(w, 5, 6), 0 + 32 + 32 + 32);
});

test('dsum excludes the address itself and follows moves', () => {
  const addrs = ['10.0.0.4', '10.0.0.3', '10.0.0.2', '10.0.0.1'].map(parseIpAddress);
  const state = new AllocState(
    2,
    addrs,
    [0, 0, 1, 0],
    new Uint8Array(8),
    false,
    false,
    [],
    new IpallocLog(0),
  );
  const table = new DsumTable(state);
  assert.equal(table.get(0, 0), 15625 + 15625); // .4 with .3 and .1
  assert.equal(table.get(2, 0), 16129 + 15876 + 15625); // .2 if it joined node 0
  assert.equal(table.get(2, 1), 0); // alone on node 1
  table.add(3, 0, -1); // .1 leaves node 0
  table.add(3, 1, 1); // and joins node 1
  assert.equal(table.get(0, 0), 15625);
  assert.equal(table.get(2, 1), 15876);
});

test('initial allocation over two nodes interleaves the addresses', () => {
  // Pass 1: all costs 0, first pair (.4, node 0). Pass 2: .3, .2, .1 cost 0 on node 1 -> .3.
  // Pass 3: .2 costs 15625 on 0 and 16129 on 1; .1 costs 15625 on 0 -> tie, .2 comes first.
  // Pass 4: .1 costs 31501 on 0 and 15876 on 1 -> node 1. No improving move afterwards.
  const r = run('0,0', layout(-1, -1, -1, -1));
  assert.deepEqual(r.log, [
    ' 10.0.0.4 -> 0 [+0]',
    ' 10.0.0.3 -> 1 [+0]',
    ' 10.0.0.2 -> 0 [+15625]',
    ' 10.0.0.1 -> 1 [+15876]',
  ]);
  assert.deepEqual(r.out, ['10.0.0.4 0', '10.0.0.3 1', '10.0.0.2 0', '10.0.0.1 1']);
});

test('failover: the unhealthy node loses its addresses, cheapest first', () => {
  // Node 0 keeps .4 and .2 (imbalance 15625). .1 costs 31501 there, .3 31754: .1 goes first,
  // then .3 costs 15625 + 16129 + 15876 = 47630.
  // The DEBUG trace: two placement passes, then one failback round that finds node 1 (the
  // only candidate) unable to take anything.
  const dashes = ` ${'-'.repeat(40)}`;
  const r = run('0,2', layout(1, 0, 1, 0), { CTDB_TEST_LOGLEVEL: 'DEBUG' });
  assert.deepEqual(r.log, [
    'Unassign IP: 10.0.0.3 from 1',
    'Unassign IP: 10.0.0.1 from 1',
    dashes,
    ' CONSIDERING MOVES (UNASSIGNED)',
    ' 10.0.0.3 -> 0 [+31754]',
    ' 10.0.0.1 -> 0 [+31501]',
    dashes,
    ' 10.0.0.1 -> 0 [+31501]',
    dashes,
    ' CONSIDERING MOVES (UNASSIGNED)',
    ' 10.0.0.3 -> 0 [+47630]',
    dashes,
    ' 10.0.0.3 -> 0 [+47630]',
    '+'.repeat(41),
    'Selecting most imbalanced node from:',
    ' 0 [94756]',
    ' 1 [0]',
    dashes,
    ' CONSIDERING MOVES FROM 0 [94756]',
    dashes,
  ]);
  assert.deepEqual(r.out, ['10.0.0.4 0', '10.0.0.3 0', '10.0.0.2 0', '10.0.0.1 0']);
});

test('failback: a returning node takes the addresses that cost its peer most', () => {
  // Node 0 holds all four (imbalance 94756); node 1 holds none, so it is a candidate.
  // Move 1: .3 (cost 47630, best sum 47126; .2 ties at 47126 but comes later).
  // Move 2: .4 (cost 31250 on 0, 15625 on 1: sum 31501; .1 ties at 31501 but comes later).
  // Then node 0 holds .2/.1 (15876) and node 1 .4/.3 (15625); no move improves both.
  const r = run('0,0', layout(0, 0, 0, 0));
  assert.deepEqual(r.log, [
    '0 [-47630] -> 10.0.0.3 -> 1 [+0]',
    '0 [-31250] -> 10.0.0.4 -> 1 [+15625]',
  ]);
  assert.deepEqual(r.out, ['10.0.0.4 1', '10.0.0.3 1', '10.0.0.2 0', '10.0.0.1 0']);
});

test('layouts depend on history: a stable layout is left alone', () => {
  // The result of the failback above is not what an initial allocation gives, and both are
  // stable: with every node holding addresses nobody is a failback candidate.
  for (const owners of [
    [1, 1, 0, 0],
    [1, 0, 1, 0],
  ] as const) {
    const r = run('0,0', layout(owners[3], owners[2], owners[1], owners[0]));
    assert.deepEqual(r.log, []);
    assert.deepEqual(
      r.out.map((l) => Number(l.split(' ')[1])),
      [...owners],
    );
  }
});

test('NoIPFailback: a returning node gets nothing', () => {
  const r = run('0,0', layout(0, 0, 0, 0), { CTDB_SET_NoIPFailback: '1' });
  assert.deepEqual(r.log, []);
  assert.deepEqual(r.out, ['10.0.0.4 0', '10.0.0.3 0', '10.0.0.2 0', '10.0.0.1 0']);
});

test('NoIPFailback still fails addresses over', () => {
  const r = run('2,0', layout(0, 1, 0, 1), { CTDB_SET_NoIPFailback: '1' });
  assert.deepEqual(r.out, ['10.0.0.4 1', '10.0.0.3 1', '10.0.0.2 1', '10.0.0.1 1']);
});

test('NoIPTakeover: addresses stay put, unhostable ones become unassigned', () => {
  // Node 1 is unhealthy; its addresses cannot move to node 0, and node 0 gains nothing.
  const r = run('0,2', layout(1, -1, 1, 0), {
    CTDB_SET_NoIPTakeover: '1',
    CTDB_TEST_LOGLEVEL: 'WARNING',
  });
  assert.deepEqual(r.log, [
    'Failed to find node to cover ip 10.0.0.3',
    'Failed to find node to cover ip 10.0.0.2',
    'Failed to find node to cover ip 10.0.0.1',
  ]);
  assert.deepEqual(r.out, ['10.0.0.4 0', '10.0.0.3 -1', '10.0.0.2 -1', '10.0.0.1 -1']);
});

test('force-rebalance lets a node that already hosts addresses receive more', () => {
  // Node 0 holds .4/.3/.2 (imbalance 47379), node 1 holds .1. Without forcing, both host
  // something, so neither is a candidate. Forcing node 1: moving .3 gives the smallest sum
  // (15625 + 15876 = 31501; .4 would give 31754, .2 ties at 31501 but comes later).
  const input = layout(1, 0, 0, 0);
  assert.deepEqual(run('0,0', input).out, ['10.0.0.4 0', '10.0.0.3 0', '10.0.0.2 0', '10.0.0.1 1']);
  const r = run('0,0', input, { CTDB_TEST_FORCE_REBALANCE: '1', CTDB_TEST_LOGLEVEL: 'INFO' });
  assert.deepEqual(r.log, [
    'Forcing rebalancing of IPs to node 1',
    '0 [-31754] -> 10.0.0.3 -> 1 [+15876]',
  ]);
  assert.deepEqual(r.out, ['10.0.0.4 0', '10.0.0.3 1', '10.0.0.2 0', '10.0.0.1 1']);
});

test('IPv6: each node gets one address from each /48', () => {
  // A=2001:db8:1::2 B=2001:db8:1::1 C=2001:db8::2 D=2001:db8::1 (list order A, B, C, D).
  // d(A,B)=d(C,D)=126; d(A,C)=d(B,D)=32+15+32+32=111; d(A,D)=d(B,C)=32+15+32+30=109.
  // A->0, B->1 (cost 0), then C costs 12321 on 0 and 11881 on 1, D 11881 on 0: tie, C first
  // -> C on 1; D then costs 11881 on 0 and 12321+15876 on 1 -> D on 0.
  const r = run('0,0', '2001:db8::1 -1\n2001:db8::2 -1\n2001:db8:1::1 -1\n2001:db8:1::2 -1\n');
  assert.deepEqual(r.log, [
    ' 2001:db8:1::2 -> 0 [+0]',
    ' 2001:db8:1::1 -> 1 [+0]',
    ' 2001:db8::2 -> 1 [+11881]',
    ' 2001:db8::1 -> 0 [+11881]',
  ]);
  assert.deepEqual(r.out, ['2001:db8:1::2 0', '2001:db8:1::1 1', '2001:db8::2 1', '2001:db8::1 0']);
});

test('IPv4 and IPv6 mixed: IPv6 global addresses sort above IPv4', () => {
  const r = run('0', '10.0.0.1 0\nfd00::1 0\n192.168.0.1 0\n');
  assert.deepEqual(r.out, ['fd00::1 0', '192.168.0.1 0', '10.0.0.1 0']);
});

test('runstate: only RUNNING nodes receive addresses', () => {
  const startup = run('0,0', layout(-1, -1, -1, -1), {
    CTDB_TEST_RUNSTATE: '4,5',
    CTDB_TEST_LOGLEVEL: 'ERROR',
  });
  assert.deepEqual(startup.out, ['10.0.0.4 1', '10.0.0.3 1', '10.0.0.2 1', '10.0.0.1 1']);
  const none = run('0,0', layout(-1, -1, -1, -1), {
    CTDB_TEST_RUNSTATE: '3,4',
    CTDB_TEST_LOGLEVEL: 'NOTICE',
  });
  assert.deepEqual(none.log, [
    'Failed to find node to cover ip 10.0.0.4',
    'Failed to find node to cover ip 10.0.0.3',
    'Failed to find node to cover ip 10.0.0.2',
    'Failed to find node to cover ip 10.0.0.1',
  ]);
  assert.deepEqual(none.out, ['10.0.0.4 -1', '10.0.0.3 -1', '10.0.0.2 -1', '10.0.0.1 -1']);
});

test('an address known to only some nodes goes only to those', () => {
  // .9 is configured on node 2 only; node 2 is the least loaded anyway for the others.
  const r = run('0,0,0', '10.0.0.9 -1 2\n10.0.0.8 -1 0,1\n10.0.0.7 -1 0,1\n');
  assert.deepEqual(r.out, ['10.0.0.9 2', '10.0.0.8 0', '10.0.0.7 1']);
});
