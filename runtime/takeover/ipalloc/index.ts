// Public face of IP allocation: a pure function from what the nodes reported (and the
// tunables) to who should host each public address. No I/O, no clock, no randomness: the same
// input always gives the same answer and the same log lines.

import { allocateDeterministic } from './deterministic.js';
import { nodeCanHostIps } from './eligibility.js';
import { IpallocInputError } from './errors.js';
import { allocateLcp2 } from './lcp2.js';
import { DebugLevel, IpallocLog } from './log.js';
import { AddressBook, buildMergedList, type NodeAddresses } from './merged-list.js';
import { allocateNondeterministic } from './nondeterministic.js';
import { AllocState } from './state.js';
import {
  IpallocAlgorithm,
  type IpallocInput,
  type IpallocOptions,
  type IpallocResult,
  type IpAssignment,
} from './types.js';

export * from './types.js';
export { parseIpAddress, compareKeys, type IpAddress, type IpKey } from './address.js';
export { nodeCanHostIps } from './eligibility.js';
export * from './errors.js';
export { DebugLevel, type IpallocLogLine } from './log.js';

function checkPnn(value: number, field: string): void {
  if (!Number.isInteger(value) || value < -1) {
    throw new IpallocInputError(`not a PNN or -1: ${value}`, field);
  }
}

/**
 * Validates and normalises the input: addresses parsed and interned, and each node's
 * available list emptied when its flags or runstate forbid hosting.
 */
function nodeAddresses(input: IpallocInput, book: AddressBook): NodeAddresses[] {
  return input.nodes.map((node, pnn) => {
    const at = `nodes[${pnn}]`;
    if (!Number.isInteger(node.flags) || node.flags < 0) {
      throw new IpallocInputError(`not a flags value: ${node.flags}`, `${at}.flags`);
    }
    const count = node.known.length;
    const knownIds = new Int32Array(count);
    const knownPnns = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const entry = node.known[i]!;
      checkPnn(entry.pnn, `${at}.known[${i}].pnn`);
      knownIds[i] = book.intern(entry.address, `${at}.known[${i}].address`);
      knownPnns[i] = entry.pnn;
    }
    const availableIds = !nodeCanHostIps(node.flags, node.runstate)
      ? new Int32Array(0)
      : node.available === undefined
        ? knownIds
        : Int32Array.from(node.available, (a, i) => book.intern(a, `${at}.available[${i}]`));
    return { knownIds, knownPnns, availableIds };
  });
}

function pnnsWhere(bitmap: Uint8Array, ip: number, numNodes: number): number[] {
  const out: number[] = [];
  for (let pnn = 0; pnn < numNodes; pnn++) if (bitmap[ip * numNodes + pnn] === 1) out.push(pnn);
  return out;
}

/** Runs the allocation algorithm chosen by `input.tunables.algorithm`. */
export function ipalloc(input: IpallocInput, options: IpallocOptions = {}): IpallocResult {
  const { algorithm, noIpFailback, noIpTakeover } = input.tunables;
  if (!Object.values(IpallocAlgorithm).includes(algorithm)) {
    throw new IpallocInputError(`unknown algorithm ${String(algorithm)}`, 'tunables.algorithm');
  }
  const log = new IpallocLog(options.logLevel ?? DebugLevel.NOTICE);
  const book = new AddressBook();
  const nodes = nodeAddresses(input, book);
  const numNodes = nodes.length;
  const merged = buildMergedList(book, nodes);
  const state = new AllocState(
    numNodes,
    merged.addresses,
    merged.owners,
    merged.available,
    noIpTakeover,
    noIpFailback,
    input.forceRebalance ?? [],
    log,
  );
  switch (algorithm) {
    case IpallocAlgorithm.DETERMINISTIC:
      allocateDeterministic(state);
      break;
    case IpallocAlgorithm.NONDETERMINISTIC:
      allocateNondeterministic(state);
      break;
    case IpallocAlgorithm.LCP2:
      allocateLcp2(state);
      break;
  }
  const ips: IpAssignment[] = merged.addresses.map((address, ip) => ({
    address,
    pnn: state.owner[ip]!,
    knownOn: pnnsWhere(merged.known, ip, numNodes),
    availableOn: pnnsWhere(merged.available, ip, numNodes),
  }));
  return { ips, log: log.lines };
}

/**
 * Whether a takeover run has anything to do: false only when no node knows any address, or
 * when none is hosted and no node can host one now (CTDB then skips straight to
 * "ipreallocated").
 */
export function canHostIps(input: IpallocInput): boolean {
  const nodes = nodeAddresses(input, new AddressBook());
  if (!nodes.some((n) => n.knownIds.length > 0)) return false;
  if (nodes.some((n, pnn) => n.knownPnns.includes(pnn))) return true;
  return nodes.some((n) => n.availableIds.length > 0);
}
