// Leader and pool selection for NAT gateway and LVS groups, as CTDB 4.17's helpers decide it.
// Pure functions over the nodes file and the node states; nodes are considered in nodestatus
// (PNN) order, never in file order.
import type { GroupMember } from './nodes-file.js';
import type { NodeState } from './nodestatus.js';

/** Fully usable: not UNKNOWN, DISABLED, UNHEALTHY or INACTIVE (disconnected, banned, stopped). */
function isHealthy(n: NodeState): boolean {
  return !n.unknown && !n.disabled && !n.unhealthy && !n.inactive;
}

/**
 * The NAT gateway passes, best first: a healthy node; then one that is connected, enabled and
 * running (UNHEALTHY or BANNED will do); then one that is merely connected and enabled
 * (STOPPED will do).
 */
const NATGW_PASSES: readonly ((n: NodeState) => boolean)[] = [
  isHealthy,
  (n) => !n.disconnected && !n.disabled && !n.stopped,
  (n) => !n.disconnected && !n.disabled,
];

/** The LVS passes: healthy nodes; else nodes neither DISABLED nor INACTIVE (UNHEALTHY allowed). */
const LVS_PASSES: readonly ((n: NodeState) => boolean)[] = [
  isHealthy,
  (n) => !n.disabled && !n.inactive,
];

function leaderCandidates(members: readonly GroupMember[]): Set<string> {
  return new Set(members.filter((m) => !m.followerOnly).map((m) => m.ip));
}

function inGroup(states: readonly NodeState[], ips: ReadonlySet<string>): NodeState[] {
  return states.filter((s) => ips.has(s.ip));
}

/** The NAT gateway leader, or undefined when no member qualifies. */
export function selectNatgwLeader(
  members: readonly GroupMember[],
  states: readonly NodeState[],
): NodeState | undefined {
  const candidates = inGroup(states, leaderCandidates(members));
  for (const pass of NATGW_PASSES) {
    const found = candidates.find(pass);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The nodes of `ips` that LVS may use, from the first pass that yields any; may be empty. */
function usable(states: readonly NodeState[], ips: ReadonlySet<string>): NodeState[] {
  const nodes = inGroup(states, ips);
  for (const pass of LVS_PASSES) {
    const found = nodes.filter(pass);
    if (found.length > 0) return found;
  }
  return [];
}

/** The LVS pool: group members traffic is balanced over. */
export function selectLvsNodes(
  members: readonly GroupMember[],
  states: readonly NodeState[],
): NodeState[] {
  return usable(states, new Set(members.map((m) => m.ip)));
}

/** The LVS leader: the first usable node among the members that are not follower-only. */
export function selectLvsLeader(
  members: readonly GroupMember[],
  states: readonly NodeState[],
): NodeState | undefined {
  return usable(states, leaderCandidates(members))[0];
}
