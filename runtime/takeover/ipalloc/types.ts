// The allocation problem and its answer, as plain data.
//
// Input: one entry per node of the nodemap, indexed by PNN (deleted nodes included, so that
// PNNs stay positions). Each node contributes what it reported: the addresses it knows with
// the owner it believes each has, and the addresses it can host right now.
// Output: every address known anywhere, in CTDB's internal order (descending 128-bit key),
// with the node that should host it or -1.

import type { IpAddress } from './address.js';
import type { IpallocLogLine } from './log.js';

/** IPAllocAlgorithm tunable values. */
export const IpallocAlgorithm = {
  DETERMINISTIC: 0,
  NONDETERMINISTIC: 1,
  LCP2: 2,
} as const;
export type IpallocAlgorithmId = (typeof IpallocAlgorithm)[keyof typeof IpallocAlgorithm];

/** The owner value of an address no node hosts (CTDB's CTDB_UNKNOWN_PNN, printed as -1). */
export const UNASSIGNED = -1;

export type AddressInput = string | IpAddress;

export interface KnownIp {
  readonly address: AddressInput;
  /** The PNN this node believes hosts the address; -1 (or any PNN not its own) = not here. */
  readonly pnn: number;
}

export interface IpallocNode {
  /** The node's flags from the nodemap (NodeFlag bits). */
  readonly flags: number;
  /** The node's runstate (Runstate); RUNNING when omitted. */
  readonly runstate?: number;
  /** Every public address configured on the node (GET_PUBLIC_IPS). */
  readonly known: readonly KnownIp[];
  /**
   * The addresses the node can host now (GET_PUBLIC_IPS with ONLY_AVAILABLE). Omitted: all
   * known addresses. Either way a node whose flags or runstate forbid hosting gets none.
   */
  readonly available?: readonly AddressInput[];
}

export interface IpallocTunables {
  readonly algorithm: IpallocAlgorithmId;
  /** NoIPFailback: no rebalancing onto nodes that had no addresses. */
  readonly noIpFailback: boolean;
  /** NoIPTakeover: no address is ever given to a node that does not already host it. */
  readonly noIpTakeover: boolean;
}

export interface IpallocInput {
  /** Index = PNN. */
  readonly nodes: readonly IpallocNode[];
  readonly tunables: IpallocTunables;
  /** PNNs that may receive addresses in LCP2's rebalancing even though they host some. */
  readonly forceRebalance?: readonly number[];
}

export interface IpallocOptions {
  /** Keep log lines at this CTDB debug level or more important. Default NOTICE (3). */
  readonly logLevel?: number;
}

export interface IpAssignment {
  readonly address: IpAddress;
  /** The node that should host the address, or -1 (UNASSIGNED). */
  readonly pnn: number;
  /** PNNs that know the address (configured there); they get the releases. */
  readonly knownOn: readonly number[];
  /** PNNs that could host the address in this run. */
  readonly availableOn: readonly number[];
}

export interface IpallocResult {
  /** Descending 128-bit key order, as CTDB keeps its list. */
  readonly ips: readonly IpAssignment[];
  readonly log: readonly IpallocLogLine[];
}
