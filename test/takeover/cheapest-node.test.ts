// The lazy "cheapest pair" search used by LCP2's placement step, against a brute-force scan:
// random costs that only grow, random nodes that may not take some addresses, and the eager
// mode used when costs could wrap.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheapestNode } from '../../runtime/takeover/ipalloc/cheapest-node.js';

function bruteForce(
  slots: readonly number[],
  ips: readonly number[],
  sums: Float64Array,
  allowed: Uint8Array,
  numNodes: number,
  numIps: number,
): [number, number, number] {
  let best: [number, number, number] = [-1, -1, Infinity];
  slots.forEach((slot, k) => {
    const ip = ips[slot]!;
    for (let pnn = 0; pnn < numNodes; pnn++) {
      if (allowed[ip * numNodes + pnn] !== 1) continue;
      const cost = sums[pnn * numIps + ip]! >>> 0;
      if (best[0] < 0 || cost < best[2]) best = [k, pnn, cost];
    }
  });
  return best;
}

test('picks the same (address, node, cost) as a full scan at every step', () => {
  let seed = 7;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const eager of [false, true]) {
    for (let round = 0; round < 40; round++) {
      const numNodes = 1 + Math.floor(random() * 7);
      const numIps = 1 + Math.floor(random() * 25);
      const sums = new Float64Array(numNodes * numIps).map(() => Math.floor(random() * 4) * 100);
      const allowed = new Uint8Array(numIps * numNodes).map(() => (random() < 0.8 ? 1 : 0));
      const ips = Array.from({ length: numIps }, (_, i) => i);
      const slots = [...ips];
      const cheapest = new CheapestNode(numNodes, numIps, ips, sums, allowed, eager);
      for (;;) {
        const expected = bruteForce(slots, ips, sums, allowed, numNodes, numIps);
        const k = cheapest.pick(slots);
        if (expected[0] < 0) {
          assert.equal(k, -1);
          break;
        }
        assert.deepEqual(
          [k, cheapest.best(slots[k]!), cheapest.cost(slots[k]!)],
          expected,
          `round ${round}, eager ${eager}`,
        );
        slots.splice(k, 1);
        // The chosen node's costs grow for every remaining address (ties included: +0).
        const pnn = expected[1];
        for (const slot of slots) {
          const at = pnn * numIps + ips[slot]!;
          sums[at] = sums[at]! + Math.floor(random() * 3) * 100;
        }
        cheapest.nodeChanged(pnn, slots);
      }
    }
  }
});

test('no node allowed: nothing to pick', () => {
  const cheapest = new CheapestNode(2, 2, [0, 1], new Float64Array(4), null, false);
  assert.equal(cheapest.pick([0, 1]), -1);
});
