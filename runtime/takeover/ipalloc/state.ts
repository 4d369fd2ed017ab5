// The working state of one allocation: the merged list (by index, in descending key order),
// the current owner of each address, how many addresses each node holds, and where each
// address may go. Algorithms change owners only through setOwner so coverage stays right.

import type { IpAddress } from './address.js';
import type { IpallocLog } from './log.js';
import { UNASSIGNED } from './types.js';

// Local copies: hot loops should not go through imported bindings.
const NONE: number = UNASSIGNED;

export class AllocState {
  readonly numIps: number;
  readonly owner: Int32Array;
  /** Number of addresses currently assigned to each node. */
  readonly coverage: Int32Array;

  constructor(
    readonly numNodes: number,
    readonly addresses: readonly IpAddress[],
    initialOwners: readonly number[],
    /** ip-major bitmap (ip * numNodes + pnn): the address is available on the node. */
    readonly available: Uint8Array,
    readonly noIpTakeover: boolean,
    readonly noIpFailback: boolean,
    readonly forceRebalance: readonly number[],
    readonly log: IpallocLog,
  ) {
    this.numIps = addresses.length;
    this.owner = Int32Array.from(initialOwners);
    this.coverage = new Int32Array(numNodes);
    for (const o of this.owner) if (o !== NONE) this.coverage[o]!++;
  }

  /** The address can be hosted on the node (it is in the node's available list). */
  canHost(pnn: number, ip: number): boolean {
    return this.available[ip * this.numNodes + pnn] === 1;
  }

  /** The node may be given the address: it can host it and NoIPTakeover is off. */
  canTakeover(pnn: number, ip: number): boolean {
    return !this.noIpTakeover && this.canHost(pnn, ip);
  }

  setOwner(ip: number, pnn: number): void {
    const old = this.owner[ip]!;
    if (old === pnn) return;
    if (old !== NONE) this.coverage[old]!--;
    if (pnn !== NONE) this.coverage[pnn]!++;
    this.owner[ip] = pnn;
  }

  text(ip: number): string {
    return this.addresses[ip]!.text;
  }
}
