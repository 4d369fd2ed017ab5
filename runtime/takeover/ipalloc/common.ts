// Steps shared by the algorithms: dropping owners that can no longer host their address,
// and the simple "fewest addresses wins" placement used by deterministic and
// non-deterministic allocation.

import { DebugLevel } from './log.js';
import type { AllocState } from './state.js';
import { UNASSIGNED } from './types.js';

// Local copies: hot loops should not go through imported bindings.
const NONE: number = UNASSIGNED;
const { DEBUG, WARNING } = DebugLevel;

/** Every assigned address whose owner cannot host it becomes unassigned. */
export function unassignUnsuitable(state: AllocState): void {
  for (let ip = 0; ip < state.numIps; ip++) {
    const owner = state.owner[ip]!;
    if (owner === NONE || state.canHost(owner, ip)) continue;
    state.log.write(DEBUG, () => `Unassign IP: ${state.text(ip)} from ${owner}`);
    state.setOwner(ip, NONE);
  }
}

/**
 * Gives the address to the node that may take it and holds the fewest addresses, the lowest
 * PNN on ties. Returns false (the owner unchanged) when no node may take it.
 */
export function findTakeoverNode(state: AllocState, ip: number): boolean {
  let best = NONE;
  let bestCoverage = 0;
  for (let pnn = 0; pnn < state.numNodes; pnn++) {
    if (!state.canTakeover(pnn, ip)) continue;
    const coverage = state.coverage[pnn]!;
    if (best === NONE || coverage < bestCoverage) {
      best = pnn;
      bestCoverage = coverage;
    }
  }
  if (best === NONE) {
    // CTDB prefixes this one with its source location; the text is otherwise the same.
    state.log.write(
      WARNING,
      () => `Could not find node to take over public address '${state.text(ip)}'`,
    );
    return false;
  }
  state.setOwner(ip, best);
  return true;
}

/** Places every unassigned address, in list order, with findTakeoverNode. */
export function basicAllocateUnassigned(state: AllocState): void {
  for (let ip = 0; ip < state.numIps; ip++) {
    if (state.owner[ip] !== NONE) continue;
    if (!findTakeoverNode(state, ip)) {
      state.log.write(WARNING, () => `Failed to find node to cover ip ${state.text(ip)}`);
    }
  }
}
