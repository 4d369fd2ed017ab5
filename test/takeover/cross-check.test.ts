// The production allocator (incremental cost tables, tournament trees, interned addresses)
// against the naive reference on random clusters: every owner and every log line at DEBUG
// level must agree, for all three algorithms, with random flags, runstates, partial
// knowledge, stale owner beliefs, NoIPTakeover, NoIPFailback and force-rebalance lists.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DebugLevel,
  ipalloc,
  type IpallocAlgorithmId,
  type IpallocInput,
  type IpallocNode,
} from '../../runtime/takeover/ipalloc/index.js';
import { referenceAllocate } from './reference-allocator.js';

/** Small deterministic PRNG (mulberry32), so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = [
  ...Array.from({ length: 12 }, (_, i) => `10.1.0.${i + 1}`),
  ...Array.from({ length: 8 }, (_, i) => `10.1.7.${200 + i}`),
  ...Array.from({ length: 6 }, (_, i) => `192.168.50.${i * 40}`),
  ...Array.from({ length: 6 }, (_, i) => `fd00:1::${(i + 1).toString(16)}`),
  ...Array.from({ length: 4 }, (_, i) => `2001:db8:${i}::1`),
];
const FLAGS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x06, 0x21];

function randomInput(seed: number): IpallocInput {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const numNodes = 1 + Math.floor(r() * 6);
  const addresses = POOL.filter(() => r() < 0.45);
  // Often one node has just come back and hosts nothing: LCP2's failback then has a target.
  const fresh = r() < 0.5 ? Math.floor(r() * numNodes) : -1;
  const owner = (): number => {
    if (r() < 0.3) return -1;
    const pnn = Math.floor(r() * (numNodes + 1));
    return pnn === fresh ? -1 : pnn;
  };
  const nodes: IpallocNode[] = Array.from({ length: numNodes }, () => {
    const known = addresses.filter(() => r() < 0.85).map((address) => ({ address, pnn: owner() }));
    const node: IpallocNode = {
      flags: r() < 0.75 ? 0 : pick(FLAGS),
      runstate: r() < 0.95 ? 5 : pick([0, 1, 3, 4, 6]),
      known,
      ...(r() < 0.2 ? { available: known.filter(() => r() < 0.6).map((k) => k.address) } : {}),
    };
    return node;
  });
  return {
    nodes,
    tunables: {
      algorithm: pick<IpallocAlgorithmId>([0, 1, 2, 2, 2]),
      noIpTakeover: r() < 0.1,
      noIpFailback: r() < 0.2,
    },
    forceRebalance: r() < 0.25 ? [Math.floor(r() * (numNodes + 1))] : [],
  };
}

test('random clusters: same owners and same DEBUG log as the naive reference', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const input = randomInput(seed);
    const ours = ipalloc(input, { logLevel: DebugLevel.DEBUG });
    const ref = referenceAllocate(input, DebugLevel.DEBUG);
    assert.deepEqual(
      ours.ips.map((ip) => [ip.address.text, ip.pnn]),
      ref.ips,
      `owners differ for seed ${seed}`,
    );
    assert.deepEqual(
      ours.log.map((l) => l.text),
      ref.log,
      `log differs for seed ${seed}`,
    );
  }
});

test('larger LCP2 layouts (60 addresses, 9 nodes): same owners as the reference', () => {
  const addresses = Array.from({ length: 60 }, (_, i) => `172.16.${i % 3}.${10 + i}`);
  for (let seed = 1; seed <= 6; seed++) {
    const r = rng(1000 + seed);
    const input: IpallocInput = {
      nodes: Array.from({ length: 9 }, (_, pnn) => ({
        flags: r() < 0.2 ? 0x02 : 0,
        known: addresses.map((address, i) => ({
          address,
          pnn: seed % 2 === 0 ? -1 : (i * 7 + seed) % 9 === pnn ? pnn : -1,
        })),
      })),
      tunables: { algorithm: 2, noIpTakeover: false, noIpFailback: false },
    };
    const ours = ipalloc(input, { logLevel: DebugLevel.INFO });
    const ref = referenceAllocate(input, DebugLevel.INFO);
    assert.deepEqual(
      ours.ips.map((ip) => [ip.address.text, ip.pnn]),
      ref.ips,
      `seed ${seed}`,
    );
    assert.deepEqual(
      ours.log.map((l) => l.text),
      ref.log,
      `seed ${seed}`,
    );
  }
});
