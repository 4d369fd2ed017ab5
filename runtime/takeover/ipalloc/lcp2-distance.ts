// LCP2's cost model. The distance of two addresses is the number of leading equal bits of
// their 128-bit keys, counted word by word: a word that differs still adds its own leading
// zeros of the XOR, and the words after it add theirs too (CTDB keeps summing past the first
// difference; that is part of the metric, not a bug to fix here). An address costs a node the
// sum of squared distances to the node's other addresses ("dsum").
//
// CTDB recomputes every dsum by walking the whole list, which is quadratic per step. Here a
// table holds dsum(ip, node) for every pair and is updated when an address changes hands, so
// one step costs O(addresses). Sums are kept exactly (float64 is exact far beyond any real
// list) and reduced to unsigned 32 bits on read, which is what CTDB's uint32_t sums give.

import type { AllocState } from './state.js';
import { UNASSIGNED } from './types.js';

// Local copies: hot loops should not go through imported bindings.
const NONE: number = UNASSIGNED;

/** Keys of all addresses, four words each, ip-major. */
export function keyWords(state: AllocState): Uint32Array {
  const words = new Uint32Array(state.numIps * 4);
  state.addresses.forEach((a, i) => words.set(a.key, i * 4));
  return words;
}

/** Common-prefix distance (0..128) of addresses a and b. */
export function ipDistance(words: Uint32Array, a: number, b: number): number {
  const x = a * 4;
  const y = b * 4;
  return (
    Math.clz32(words[x]! ^ words[y]!) +
    Math.clz32(words[x + 1]! ^ words[y + 1]!) +
    Math.clz32(words[x + 2]! ^ words[y + 2]!) +
    Math.clz32(words[x + 3]! ^ words[y + 3]!)
  );
}

export class DsumTable {
  /**
   * Node-major: sums[pnn * numIps + ip], exact (reduce with `>>> 0` to get CTDB's value).
   * Node-major because every update touches one node's column for all addresses.
   */
  readonly sums: Float64Array;
  private readonly words: Uint32Array;
  private readonly numNodes: number;
  private readonly numIps: number;
  /** Only IPv4 keys: the first three words are zero, so a distance is 96 + one count. */
  private readonly allV4: boolean;

  constructor(state: AllocState) {
    this.numNodes = state.numNodes;
    this.numIps = state.numIps;
    this.words = keyWords(state);
    this.allV4 = state.addresses.every((a) => a.key[0] === 0 && a.key[1] === 0 && a.key[2] === 0);
    this.sums = new Float64Array(this.numIps * this.numNodes);
    for (let j = 0; j < this.numIps; j++) {
      const owner = state.owner[j]!;
      if (owner !== NONE) this.add(j, owner, 1);
    }
  }

  /** dsum(ip, pnn) as CTDB's uint32_t sum: squared distances to pnn's other addresses. */
  get(ip: number, pnn: number): number {
    return this.sums[pnn * this.numIps + ip]! >>> 0;
  }

  /** Exact (unreduced) dsum, for the imbalance computation. */
  exact(ip: number, pnn: number): number {
    return this.sums[pnn * this.numIps + ip]!;
  }

  /** Account for address j joining (sign 1) or leaving (sign -1) node pnn. */
  add(j: number, pnn: number, sign: 1 | -1): void {
    const w = this.words;
    const x = j * 4;
    const column = pnn * this.numIps;
    const sums = this.sums;
    if (this.allV4) {
      const w3 = w[x + 3]!;
      for (let i = 0, y = 3; i < this.numIps; i++, y += 4) {
        if (i === j) continue;
        const d = 96 + Math.clz32(w3 ^ w[y]!);
        sums[column + i] = sums[column + i]! + sign * d * d;
      }
      return;
    }
    const w0 = w[x]!;
    const w1 = w[x + 1]!;
    const w2 = w[x + 2]!;
    const w3 = w[x + 3]!;
    for (let i = 0, y = 0; i < this.numIps; i++, y += 4) {
      if (i === j) continue;
      const d =
        Math.clz32(w0 ^ w[y]!) +
        Math.clz32(w1 ^ w[y + 1]!) +
        Math.clz32(w2 ^ w[y + 2]!) +
        Math.clz32(w3 ^ w[y + 3]!);
      sums[column + i] = sums[column + i]! + sign * d * d;
    }
  }
}
