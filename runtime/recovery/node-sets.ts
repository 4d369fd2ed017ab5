// Who takes part: the flag and capability rules the election and recovery share.
import { Capability, NODE_FLAGS_INACTIVE, NodeFlag } from '../protocol/constants.js';
import type { NodeEntry } from './types.js';

export const isInactive = (flags: number): boolean => (flags & NODE_FLAGS_INACTIVE) !== 0;
export const isDisconnected = (flags: number): boolean => (flags & NodeFlag.DISCONNECTED) !== 0;

/** Not INACTIVE and holding the LEADER (RECMASTER) capability; UNHEALTHY/DISABLED nodes can lead. */
export function canBeLeader(flags: number, capabilities: number): boolean {
  return !isInactive(flags) && (capabilities & Capability.RECMASTER) !== 0;
}

export function activeNodes(nodemap: readonly NodeEntry[]): NodeEntry[] {
  return nodemap.filter((n) => !isInactive(n.flags));
}

/** The active nodes with the LMASTER capability, in nodemap order (the vnnmap's members). */
export function lmasterNodes(
  nodemap: readonly NodeEntry[],
  capabilities: ReadonlyMap<number, number>,
): number[] {
  return activeNodes(nodemap)
    .filter((n) => ((capabilities.get(n.pnn) ?? 0) & Capability.LMASTER) !== 0)
    .map((n) => n.pnn);
}
