// The leader's checks of the cluster in recoverd's main loop (CTDB 4.17 main_loop, the part
// after "non-leaders stop here"), as a pure function of the state the loop fetched. The loop
// itself (fetching, banning, the INACTIVE shortcut, sleeping RecoverInterval) belongs to the
// daemon; this decides what to do about what it saw.
import { RecoveryMode } from '../protocol/constants.js';
import { isDisconnected, isInactive, lmasterNodes } from './node-sets.js';
import type { Fetched, NodeEntry, VnnMap } from './types.js';

export interface LeaderView {
  readonly ownPnn: number;
  /** The leader's own node map (its view of everybody's flags). */
  readonly nodemap: readonly NodeEntry[];
  /** Nodes in the nodes file; a different nodemap size means the file must be reloaded. */
  readonly configuredNodeCount: number;
  /** GET_NODEMAP from every node not DISCONNECTED in `nodemap`, self included. */
  readonly remoteNodemaps: ReadonlyMap<number, Fetched<readonly NodeEntry[]>>;
  /** GET_CAPABILITIES results (nodes missing here count as having none). */
  readonly capabilities: ReadonlyMap<number, number>;
  /** The leader's own vnnmap. */
  readonly vnnmap: VnnMap;
  /** Left over from a recovery that failed. */
  readonly needRecovery: boolean;
  /** GET_RECMODE from every active node. */
  readonly recmodes: ReadonlyMap<number, Fetched<number>>;
  readonly clusterLock: { readonly configured: boolean; readonly held: boolean };
  /** RerecoveryTimeout after the last recovery, or SRVID_DISABLE_RECOVERIES. */
  readonly recoveriesDisabled: boolean;
  /** GETVNNMAP from every active peer. */
  readonly remoteVnnmaps: ReadonlyMap<number, Fetched<VnnMap>>;
  readonly takeover: {
    readonly disabled: boolean;
    readonly needed: boolean;
    readonly queuedRequests: number;
  };
}

export interface FlagUpdate {
  readonly pnn: number;
  /** The node's self-reported flags, to be sent with MODIFY_FLAGS to all connected nodes. */
  readonly flags: number;
}

export interface Blame {
  readonly pnn: number;
  readonly credits: number;
}

export type LeaderActionKind = 'none' | 'recover' | 'takeover-run';

export interface LeaderDecision {
  readonly action: LeaderActionKind;
  /** Why, in CTDB's log words. */
  readonly reason: string;
  /** Ban credits to add (BanCredits.culprit) before acting. */
  readonly culprits: readonly Blame[];
  /** Flags to push because some node's view of a node differs from what it reports itself. */
  readonly flagUpdates: readonly FlagUpdate[];
  /** The leader's node map with every node's self-reported flags adopted. */
  readonly nodemap: readonly NodeEntry[];
  readonly reloadNodes: boolean;
}

function selfReported(
  pnn: number,
  remote: ReadonlyMap<number, Fetched<readonly NodeEntry[]>>,
): number | undefined {
  const own = remote.get(pnn);
  if (own?.ok !== true) return undefined;
  return own.value.find((n) => n.pnn === pnn)?.flags;
}

export function leaderChecks(view: LeaderView): LeaderDecision {
  const culprits: Blame[] = [];
  const flagUpdates: FlagUpdate[] = [];
  const connected = view.nodemap.filter((n) => !isDisconnected(n.flags));
  let nodemap: readonly NodeEntry[] = view.nodemap;
  const decide = (
    action: LeaderActionKind,
    reason: string,
    reloadNodes = false,
  ): LeaderDecision => ({
    action,
    reason,
    culprits,
    flagUpdates,
    nodemap,
    reloadNodes,
  });

  // A node map that cannot be fetched: blame the node and try again next loop.
  for (const n of connected) {
    if (n.pnn === view.ownPnn) continue;
    const r = view.remoteNodemaps.get(n.pnn);
    if (r?.ok !== true) {
      culprits.push({ pnn: n.pnn, credits: 1 });
      return decide('none', `Unable to get nodemap from remote node ${n.pnn}`);
    }
  }

  // Flags (CTDB update_flags): each remote node is the authority on its own flags, the leader
  // on its own; they are pushed to everyone when any connected node's view differs.
  const viewOf = (observer: number, pnn: number): number | undefined => {
    const r = view.remoteNodemaps.get(observer);
    return r?.ok === true ? r.value.find((e) => e.pnn === pnn)?.flags : undefined;
  };
  nodemap = view.nodemap.map((n) => {
    if (isDisconnected(n.flags)) return n;
    const own =
      n.pnn === view.ownPnn ? n.flags : (selfReported(n.pnn, view.remoteNodemaps) ?? n.flags);
    const differs =
      own !== n.flags ||
      connected.some(
        (o) => o.pnn !== n.pnn && o.pnn !== view.ownPnn && viewOf(o.pnn, n.pnn) !== own,
      );
    if (differs) flagUpdates.push({ pnn: n.pnn, flags: own });
    return own === n.flags ? n : { pnn: n.pnn, flags: own };
  });
  if (view.configuredNodeCount !== nodemap.length)
    return decide('none', 'The node count differs from the nodes file: reloading it', true);

  if (view.needRecovery) return decide('recover', 'Recovery needed after a failed recovery');

  const active = nodemap.filter((n) => !isInactive(n.flags));
  for (const n of active) {
    const r = view.recmodes.get(n.pnn);
    if (r?.ok !== true) return decide('none', `Unable to get recmode from node ${n.pnn}`);
    if (r.value !== RecoveryMode.NORMAL)
      return decide('recover', `Node ${n.pnn} is not in normal recovery mode`);
  }

  if (view.clusterLock.configured && !view.clusterLock.held) {
    culprits.push({ pnn: view.ownPnn, credits: 1 });
    return decide('recover', 'Cluster lock not held');
  }

  if (!view.recoveriesDisabled) {
    const found = consistencyCheck(view, nodemap, active, culprits);
    if (found !== undefined) return decide(found.action, found.reason);
  }

  if (!view.takeover.disabled && (view.takeover.needed || view.takeover.queuedRequests > 0))
    return decide('takeover-run', 'Takeover run requested');
  return decide('none', 'Cluster is consistent');
}

/** Node map and vnnmap agreement: a recovery (blaming someone), a failed fetch, or nothing. */
function consistencyCheck(
  view: LeaderView,
  nodemap: readonly NodeEntry[],
  active: readonly NodeEntry[],
  culprits: Blame[],
): { action: 'recover' | 'none'; reason: string } | undefined {
  const recover = (reason: string) => ({ action: 'recover' as const, reason });
  const peers = active.filter((n) => n.pnn !== view.ownPnn);
  for (const peer of peers) {
    const r = view.remoteNodemaps.get(peer.pnn);
    if (r?.ok !== true) continue;
    const theirs = r.value;
    if (theirs.length !== nodemap.length) {
      culprits.push({ pnn: peer.pnn, credits: 1 });
      return recover(`Remote node ${peer.pnn} has different node count`);
    }
    if (theirs.some((e, i) => e.pnn !== nodemap[i]?.pnn)) {
      culprits.push({ pnn: peer.pnn, credits: 1 });
      return recover(`Remote node ${peer.pnn} has different nodemap pnn`);
    }
  }

  const lmasters = lmasterNodes(nodemap, view.capabilities);
  if (view.vnnmap.map.length !== lmasters.length) {
    culprits.push({ pnn: view.ownPnn, credits: 1 });
    return recover(
      `The vnnmap count is different from the number of active lmaster nodes: ${view.vnnmap.map.length} vs ${lmasters.length}`,
    );
  }
  for (const pnn of lmasters) {
    if (pnn === view.ownPnn) continue;
    if (!view.vnnmap.map.includes(pnn)) {
      culprits.push({ pnn, credits: 1 });
      return recover(`Node ${pnn} is active in the nodemap but did not exist in the vnnmap`);
    }
  }

  for (const peer of peers) {
    const r = view.remoteVnnmaps.get(peer.pnn);
    if (r?.ok !== true)
      return { action: 'none', reason: `Unable to get vnnmap from remote node ${peer.pnn}` };
    const theirs = r.value;
    if (theirs.generation !== view.vnnmap.generation) {
      culprits.push({ pnn: peer.pnn, credits: 1 });
      return recover(`Remote node ${peer.pnn} has different vnnmap generation`);
    }
    if (
      theirs.map.length !== view.vnnmap.map.length ||
      theirs.map.some((p, i) => p !== view.vnnmap.map[i])
    ) {
      culprits.push({ pnn: peer.pnn, credits: 1 });
      return recover(`Remote node ${peer.pnn} has different vnnmap`);
    }
  }
  return undefined;
}
