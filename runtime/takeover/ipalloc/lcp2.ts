// IPAllocAlgorithm=2 (the default): LCP2, "longest common prefix squared". A node's
// imbalance is the sum of squared common-prefix distances over all pairs of its addresses, so
// spreading addresses of the same subnet across nodes lowers it. The steps follow CTDB 4.17
// exactly, including its tie rules and unsigned 32-bit arithmetic, because the resulting
// layout is observable (`ctdb ip`) and CTDB's own test expectations pin it:
//
//  1. owners that cannot host their address lose it;
//  2. imbalances are computed; the rebalance candidates are the nodes holding nothing (they
//     just became healthy) plus the force-rebalance list;
//  3. unassigned addresses are placed one at a time, always the (address, node) pair with the
//     smallest added cost, first pair in (list order, PNN order) on ties;
//  4. unless NoIPFailback, or nobody is a candidate: repeatedly take the nodes in descending
//     imbalance (stable sort), and move from the first one that can improve the single best
//     address to a candidate node; stop when no node can.

import { CheapestNode } from './cheapest-node.js';
import { unassignUnsuitable } from './common.js';
import { DsumTable } from './lcp2-distance.js';
import { asInt32, DebugLevel } from './log.js';
import type { AllocState } from './state.js';
import { UNASSIGNED } from './types.js';

// Local copies: hot loops should not go through imported bindings.
const NONE: number = UNASSIGNED;
const { DEBUG, ERROR, INFO, NOTICE, WARNING } = DebugLevel;

const DASHES = ` ${'-'.repeat(40)}`;
const PLUSES = '+'.repeat(41);

/** Unsigned 32-bit wrap, as C's uint32_t arithmetic. */
const u32 = (x: number): number => x >>> 0;

class Lcp2 {
  private readonly dsum: DsumTable;
  private readonly imbalance: Uint32Array;
  private readonly candidate: Uint8Array;
  private readonly n: number;

  constructor(private readonly state: AllocState) {
    this.n = state.numNodes;
    this.dsum = new DsumTable(state);
    this.imbalance = new Uint32Array(this.n);
    this.candidate = new Uint8Array(this.n).fill(1);
    const pairSums = new Float64Array(this.n);
    for (let ip = 0; ip < state.numIps; ip++) {
      const owner = state.owner[ip]!;
      if (owner === NONE) continue;
      pairSums[owner] = pairSums[owner]! + this.dsum.exact(ip, owner);
      // A node holding an address was healthy before: not a candidate for failback.
      this.candidate[owner] = 0;
    }
    // Each pair was counted from both ends.
    for (let pnn = 0; pnn < this.n; pnn++) this.imbalance[pnn] = u32(pairSums[pnn]! / 2);
    for (const pnn of state.forceRebalance) {
      if (pnn < 0 || pnn >= this.n || !Number.isInteger(pnn)) {
        state.log.write(ERROR, `unknown node ${u32(pnn)}`);
        continue;
      }
      state.log.write(NOTICE, `Forcing rebalancing of IPs to node ${pnn}`);
      this.candidate[pnn] = 1;
    }
  }

  hasCandidates(): boolean {
    return this.candidate.includes(1);
  }

  private move(ip: number, from: number, to: number): void {
    if (from !== NONE) this.dsum.add(ip, from, -1);
    this.dsum.add(ip, to, 1);
    this.state.setOwner(ip, to);
  }

  /** Step 3: place unassigned addresses one at a time, cheapest pair first. */
  allocateUnassigned(): void {
    const { state, dsum, n } = this;
    const log = state.log;
    const debug = log.enabled(DEBUG);
    const unassigned: number[] = [];
    for (let ip = 0; ip < state.numIps; ip++) {
      if (state.owner[ip] === NONE) unassigned.push(ip);
    }
    // Slot k tracks the k-th initially unassigned address; `slots` follows `unassigned`.
    const slots = unassigned.map((_, k) => k);
    const cheapest = new CheapestNode(
      n,
      state.numIps,
      [...unassigned],
      dsum.sums,
      state.noIpTakeover ? null : state.available,
      // Past this many addresses a dsum could wrap past 2^32 and a cost could go down.
      state.numIps * 128 * 128 >= 2 ** 32,
    );

    // The first pass runs even with nothing unassigned (its DEBUG lines show), as in CTDB.
    let haveUnassigned = true;
    while (haveUnassigned) {
      if (debug) {
        log.write(DEBUG, DASHES);
        log.write(DEBUG, ' CONSIDERING MOVES (UNASSIGNED)');
        for (const ip of unassigned) {
          for (let pnn = 0; pnn < n; pnn++) {
            if (!state.canTakeover(pnn, ip)) continue;
            const d = dsum.get(ip, pnn);
            log.write(DEBUG, ` ${state.text(ip)} -> ${pnn} [+${asInt32(d)}]`);
          }
        }
      }
      // The first (address, node) pair in list and PNN order with the smallest cost.
      const pick = cheapest.pick(slots);
      log.write(DEBUG, DASHES);
      // Nothing placeable is left: the rest stay unassigned.
      if (pick < 0) break;
      const ip = unassigned[pick]!;
      const pnn = cheapest.best(slots[pick]!);
      const added = cheapest.cost(slots[pick]!);
      this.imbalance[pnn] = u32(this.imbalance[pnn]! + added);
      this.move(ip, NONE, pnn);
      log.write(INFO, () => ` ${state.text(ip)} -> ${pnn} [+${asInt32(added)}]`);
      unassigned.splice(pick, 1);
      slots.splice(pick, 1);
      cheapest.nodeChanged(pnn, slots);
      haveUnassigned = unassigned.length > 0;
    }

    for (const ip of unassigned) {
      log.write(WARNING, () => `Failed to find node to cover ip ${state.text(ip)}`);
    }
  }

  /** Step 4's inner search: the best single move away from src, made if found. */
  private failbackCandidate(src: number): boolean {
    const { state, dsum, n, imbalance, candidate } = this;
    const log = state.log;
    const debug = log.enabled(DEBUG);
    const srcImb = imbalance[src]!;
    let bestIp = -1;
    let bestDst = NONE;
    let bestSrcImb = 0;
    let bestDstImb = 0;
    if (debug) {
      log.write(DEBUG, DASHES);
      log.write(DEBUG, ` CONSIDERING MOVES FROM ${src} [${asInt32(srcImb)}]`);
    }
    for (let ip = 0; ip < state.numIps; ip++) {
      if (state.owner[ip] !== src) continue;
      const srcDsum = dsum.get(ip, src);
      const srcImbAfter = u32(srcImb - srcDsum);
      for (let dst = 0; dst < n; dst++) {
        if (candidate[dst] === 0 || !state.canTakeover(dst, ip)) continue;
        const dstDsum = dsum.get(ip, dst);
        const dstImbAfter = u32(imbalance[dst]! + dstDsum);
        if (debug) {
          log.write(
            DEBUG,
            ` ${src} [${asInt32(-srcDsum)}] -> ${state.text(ip)} -> ${dst} [+${asInt32(dstDsum)}]`,
          );
        }
        if (
          dstImbAfter < srcImb &&
          dstDsum < srcDsum &&
          (bestDst === NONE || u32(srcImbAfter + dstImbAfter) < u32(bestSrcImb + bestDstImb))
        ) {
          bestIp = ip;
          bestDst = dst;
          bestSrcImb = srcImbAfter;
          bestDstImb = dstImbAfter;
        }
      }
    }
    log.write(DEBUG, DASHES);
    if (bestDst === NONE) return false;
    const dst = bestDst;
    const ip = bestIp;
    log.write(
      INFO,
      () =>
        `${src} [${asInt32(u32(bestSrcImb - srcImb))}] -> ${state.text(ip)} -> ${dst} [+${asInt32(u32(bestDstImb - imbalance[dst]!))}]`,
    );
    imbalance[src] = bestSrcImb;
    imbalance[dst] = bestDstImb;
    this.move(ip, src, dst);
    return true;
  }

  /** Step 4. */
  failback(): void {
    const { state, n, imbalance } = this;
    const log = state.log;
    const order = Array.from({ length: n }, (_, pnn) => pnn);
    for (;;) {
      log.write(DEBUG, PLUSES);
      log.write(DEBUG, 'Selecting most imbalanced node from:');
      if (log.enabled(DEBUG)) {
        for (let pnn = 0; pnn < n; pnn++) {
          log.write(DEBUG, ` ${pnn} [${asInt32(imbalance[pnn]!)}]`);
        }
      }
      // Array.prototype.sort is stable, like glibc's merge-sort qsort: ties keep PNN order.
      order.sort((a, b) => a - b);
      order.sort((a, b) => imbalance[b]! - imbalance[a]!);
      let moved = false;
      for (const src of order) {
        if (imbalance[src] === 0) break;
        if (this.failbackCandidate(src)) {
          moved = true;
          break;
        }
      }
      if (!moved) return;
    }
  }
}

export function allocateLcp2(state: AllocState): void {
  // Unsuitable owners go before the imbalances are taken, as in CTDB.
  unassignUnsuitable(state);
  const lcp2 = new Lcp2(state);
  lcp2.allocateUnassigned();
  if (state.noIpFailback || !lcp2.hasCandidates()) return;
  lcp2.failback();
}
