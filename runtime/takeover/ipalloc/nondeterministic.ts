// IPAllocAlgorithm=1. Addresses stay where they are while their owner can host them; the
// rest go to the node with the fewest. Then, unless NoIPFailback, counts are evened out: while
// some address's possible hosts differ by more than one address, the first address of the
// most loaded of them is placed again. The number of such moves is bounded (addresses + 5).

import { basicAllocateUnassigned, findTakeoverNode, unassignUnsuitable } from './common.js';
import { DebugLevel } from './log.js';
import type { AllocState } from './state.js';
import { UNASSIGNED } from './types.js';

// Local copies: hot loops should not go through imported bindings.
const NONE: number = UNASSIGNED;
const { WARNING } = DebugLevel;

/** One pass over the list; returns true if it moved an address (the caller restarts). */
function failbackPass(state: AllocState, retries: number, limit: number): boolean {
  for (let ip = 0; ip < state.numIps; ip++) {
    if (state.owner[ip] === NONE) continue;
    let maxNode = NONE;
    let minNode = NONE;
    let maxNum = 0;
    let minNum = 0;
    for (let pnn = 0; pnn < state.numNodes; pnn++) {
      if (!state.canTakeover(pnn, ip)) continue;
      const num = state.coverage[pnn]!;
      if (maxNode === NONE || num > maxNum) {
        maxNode = pnn;
        maxNum = num;
      }
      if (minNode === NONE || num < minNum) {
        minNode = pnn;
        minNum = num;
      }
    }
    if (maxNode === NONE) {
      state.log.write(
        WARNING,
        () => `Could not find maxnode. May not be able to serve ip '${state.text(ip)}'`,
      );
      continue;
    }
    if (maxNum > minNum + 1 && retries < limit) {
      const victim = state.owner.indexOf(maxNode);
      if (victim >= 0) {
        findTakeoverNode(state, victim);
        return true;
      }
    }
  }
  return false;
}

export function allocateNondeterministic(state: AllocState): void {
  unassignUnsuitable(state);
  basicAllocateUnassigned(state);
  if (state.noIpFailback) return;
  const limit = state.numIps + 5;
  let retries = 0;
  while (failbackPass(state, retries, limit)) retries++;
}
