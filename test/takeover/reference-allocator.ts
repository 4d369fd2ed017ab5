// A deliberately naive second implementation of the three allocation algorithms, written
// straight from the step-by-step description (spec §7.3): lists searched linearly, every
// coverage and distance sum recomputed from scratch, 32-bit wrapping done at each addition.
// It is slow (cubic) and simple, so it can check the production allocator, which keeps
// incremental tables, on many random inputs: same owners, same log lines.

import { parseIpAddress, type IpAddress } from '../../runtime/takeover/ipalloc/address.js';
import type { IpallocInput } from '../../runtime/takeover/ipalloc/types.js';

interface Entry {
  addr: IpAddress;
  pnn: number;
}

export interface ReferenceResult {
  readonly ips: readonly (readonly [string, number])[];
  readonly log: readonly string[];
}

const RUNNING = 5;
const CANNOT_HOST_FLAGS = 0x3f; // INACTIVE 0x39 | DISABLED 0x06

function sameKey(a: IpAddress, b: IpAddress): boolean {
  return a.key.every((w, i) => w === b.key[i]);
}

function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && sameKey(a, b);
}

function keyDescending(a: Entry, b: Entry): number {
  for (let i = 0; i < 4; i++) {
    if (a.addr.key[i] !== b.addr.key[i]) return b.addr.key[i]! - a.addr.key[i]!;
  }
  return 0;
}

function distance(a: IpAddress, b: IpAddress): number {
  let d = 0;
  for (let i = 0; i < 4; i++) {
    let x = (a.key[i]! ^ b.key[i]!) >>> 0;
    if (x === 0) {
      d += 32;
    } else {
      while ((x & 0x80000000) === 0) {
        x = (x << 1) >>> 0;
        d++;
      }
    }
  }
  return d;
}

const asText = (a: IpAddress | string): IpAddress =>
  typeof a === 'string' ? parseIpAddress(a) : a;

export function referenceAllocate(input: IpallocInput, logLevel: number): ReferenceResult {
  const log: string[] = [];
  const say = (level: number, text: string): void => {
    if (level <= logLevel) log.push(text);
  };
  const n = input.nodes.length;
  const known = input.nodes.map((node) =>
    node.known.map((k) => ({ addr: asText(k.address), pnn: k.pnn })),
  );
  const avail = input.nodes.map((node, i) => {
    const ok = (node.runstate ?? RUNNING) === RUNNING && (node.flags & CANNOT_HOST_FLAGS) === 0;
    if (!ok) return [];
    return node.available === undefined ? known[i]!.map((k) => k.addr) : node.available.map(asText);
  });

  const all: Entry[] = [];
  for (let i = 0; i < n; i++) {
    for (const k of known[i]!) {
      let owner = k.pnn === i ? i : -1;
      const at = all.findIndex((e) => sameKey(e.addr, k.addr));
      if (at >= 0) {
        if (owner === -1) owner = all[at]!.pnn;
        all[at] = { addr: k.addr, pnn: owner };
      } else {
        all.push({ addr: k.addr, pnn: owner });
      }
    }
  }
  all.sort(keyDescending);

  const { noIpTakeover, noIpFailback, algorithm } = input.tunables;
  const canHost = (pnn: number, e: Entry): boolean => avail[pnn]!.some((a) => sameIp(a, e.addr));
  const canTake = (pnn: number, e: Entry): boolean => !noIpTakeover && canHost(pnn, e);
  const coverage = (pnn: number): number => all.filter((e) => e.pnn === pnn).length;

  const unassignUnsuitable = (): void => {
    for (const e of all) {
      if (e.pnn !== -1 && !canHost(e.pnn, e)) {
        say(10, `Unassign IP: ${e.addr.text} from ${e.pnn}`);
        e.pnn = -1;
      }
    }
  };
  const findTakeoverNode = (e: Entry): boolean => {
    let best = -1;
    let min = 0;
    for (let i = 0; i < n; i++) {
      if (!canTake(i, e)) continue;
      const c = coverage(i);
      if (best === -1 || c < min) {
        best = i;
        min = c;
      }
    }
    if (best === -1) {
      say(1, `Could not find node to take over public address '${e.addr.text}'`);
      return false;
    }
    e.pnn = best;
    return true;
  };
  const basicAllocate = (): void => {
    for (const e of all) {
      if (e.pnn === -1 && !findTakeoverNode(e)) {
        say(1, `Failed to find node to cover ip ${e.addr.text}`);
      }
    }
  };

  if (algorithm === 0) {
    say(3, 'Deterministic IPs enabled. Resetting all ip allocations');
    all.forEach((e, i) => (e.pnn = i % n));
    if (noIpFailback) {
      say(1, "WARNING: 'NoIPFailback' set but ignored - incompatible with 'Deterministic IPs");
    }
    unassignUnsuitable();
    basicAllocate();
  } else if (algorithm === 1) {
    unassignUnsuitable();
    basicAllocate();
    if (!noIpFailback) {
      let retries = 0;
      let again = true;
      while (again) {
        again = false;
        for (const e of all) {
          if (e.pnn === -1) continue;
          let maxnode = -1;
          let minnode = -1;
          let maxnum = 0;
          let minnum = 0;
          for (let i = 0; i < n; i++) {
            if (!canTake(i, e)) continue;
            const c = coverage(i);
            if (maxnode === -1 || c > maxnum) [maxnode, maxnum] = [i, c];
            if (minnode === -1 || c < minnum) [minnode, minnum] = [i, c];
          }
          if (maxnode === -1) {
            say(1, `Could not find maxnode. May not be able to serve ip '${e.addr.text}'`);
            continue;
          }
          if (maxnum > minnum + 1 && retries < all.length + 5) {
            const victim = all.find((t) => t.pnn === maxnode);
            if (victim !== undefined) {
              findTakeoverNode(victim);
              retries++;
              again = true;
              break;
            }
          }
        }
      }
    }
  } else {
    unassignUnsuitable();
    const dsum = (e: Entry, pnn: number): number => {
      let sum = 0;
      for (const t of all) {
        if (t.pnn !== pnn || t === e) continue;
        const d = distance(e.addr, t.addr);
        sum = (sum + d * d) >>> 0;
      }
      return sum;
    };
    const imb: number[] = [];
    const candidate: boolean[] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      all.forEach((t, k) => {
        if (t.pnn !== i) return;
        for (const u of all.slice(k + 1)) {
          if (u.pnn !== i) continue;
          const d = distance(t.addr, u.addr);
          s = (s + d * d) >>> 0;
        }
      });
      imb.push(s);
      candidate.push(true);
    }
    for (const e of all) if (e.pnn !== -1) candidate[e.pnn] = false;
    for (const p of input.forceRebalance ?? []) {
      if (p >= n) {
        say(0, `unknown node ${p}`);
        continue;
      }
      say(3, `Forcing rebalancing of IPs to node ${p}`);
      candidate[p] = true;
    }
    const i32 = (x: number): number => x | 0;
    const dashes = ' ' + '-'.repeat(40);
    // Allocate unassigned.
    let haveUnassigned = true;
    let shouldLoop = true;
    while (haveUnassigned && shouldLoop) {
      shouldLoop = false;
      say(10, dashes);
      say(10, ' CONSIDERING MOVES (UNASSIGNED)');
      let minnode = -1;
      let mindsum = 0;
      let minimbl = 0;
      let minip: Entry | undefined;
      for (const e of all) {
        if (e.pnn !== -1) continue;
        for (let d = 0; d < n; d++) {
          if (!canTake(d, e)) continue;
          const dd = dsum(e, d);
          const di = (imb[d]! + dd) >>> 0;
          say(10, ` ${e.addr.text} -> ${d} [+${i32((di - imb[d]!) >>> 0)}]`);
          if (minnode === -1 || dd < mindsum) {
            minnode = d;
            minimbl = di;
            mindsum = dd;
            minip = e;
            shouldLoop = true;
          }
        }
      }
      say(10, dashes);
      if (minip !== undefined) {
        minip.pnn = minnode;
        imb[minnode] = minimbl;
        say(5, ` ${minip.addr.text} -> ${minnode} [+${i32(mindsum)}]`);
      }
      haveUnassigned = all.some((e) => e.pnn === -1);
    }
    if (haveUnassigned) {
      for (const e of all)
        if (e.pnn === -1) say(1, `Failed to find node to cover ip ${e.addr.text}`);
    }
    // Failback.
    if (!noIpFailback && candidate.includes(true)) {
      let again = true;
      while (again) {
        again = false;
        say(10, '+'.repeat(41));
        say(10, 'Selecting most imbalanced node from:');
        for (let i = 0; i < n; i++) say(10, ` ${i} [${i32(imb[i]!)}]`);
        // Insertion sort: stable by construction.
        const order: number[] = [];
        for (let i = 0; i < n; i++) {
          let at = order.length;
          while (at > 0 && imb[order[at - 1]!]! < imb[i]!) at--;
          order.splice(at, 0, i);
        }
        for (const src of order) {
          if (imb[src] === 0) break;
          say(10, dashes);
          say(10, ` CONSIDERING MOVES FROM ${src} [${i32(imb[src]!)}]`);
          let minip: Entry | undefined;
          let minsrc = 0;
          let mindst = -1;
          let mindstimb = 0;
          for (const e of all) {
            if (e.pnn !== src) continue;
            const srcdsum = dsum(e, src);
            const srcimbl = (imb[src]! - srcdsum) >>> 0;
            for (let d = 0; d < n; d++) {
              if (!candidate[d] || !canTake(d, e)) continue;
              const dstdsum = dsum(e, d);
              const dstimbl = (imb[d]! + dstdsum) >>> 0;
              say(10, ` ${src} [${i32(-srcdsum)}] -> ${e.addr.text} -> ${d} [+${i32(dstdsum)}]`);
              if (
                dstimbl < imb[src]! &&
                dstdsum < srcdsum &&
                (mindst === -1 || (srcimbl + dstimbl) >>> 0 < (minsrc + mindstimb) >>> 0)
              ) {
                minip = e;
                minsrc = srcimbl;
                mindst = d;
                mindstimb = dstimbl;
              }
            }
          }
          say(10, dashes);
          if (minip !== undefined) {
            say(
              5,
              `${src} [${i32((minsrc - imb[src]!) >>> 0)}] -> ${minip.addr.text} -> ${mindst} [+${i32((mindstimb - imb[mindst]!) >>> 0)}]`,
            );
            imb[src] = minsrc;
            imb[mindst] = mindstimb;
            minip.pnn = mindst;
            again = true;
            break;
          }
        }
      }
    }
  }
  return { ips: all.map((e) => [e.addr.text, e.pnn] as const), log };
}
