// IPAllocAlgorithm=0. The i-th address of the list goes to node i mod N regardless of where
// it is now, so a given set of healthy nodes always yields the same layout; addresses whose
// "home" cannot host them are then placed by fewest-addresses. (CTDB 4.17 has no home_nodes
// file; that override arrived later.) There is no separate failback: the modulo step is one.

import { basicAllocateUnassigned, unassignUnsuitable } from './common.js';
import { DebugLevel } from './log.js';
import type { AllocState } from './state.js';

export function allocateDeterministic(state: AllocState): void {
  state.log.write(DebugLevel.NOTICE, 'Deterministic IPs enabled. Resetting all ip allocations');
  for (let ip = 0; ip < state.numIps; ip++) state.setOwner(ip, ip % state.numNodes);
  if (state.noIpFailback) {
    // CTDB's text, unbalanced quote included.
    state.log.write(
      DebugLevel.WARNING,
      "WARNING: 'NoIPFailback' set but ignored - incompatible with 'Deterministic IPs",
    );
  }
  unassignUnsuitable(state);
  basicAllocateUnassigned(state);
}
