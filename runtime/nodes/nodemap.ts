// This node's view of the cluster: every node of the nodes file with its flags. The local
// node's flags are authoritative for itself; other nodes' flags come from their MODIFY_FLAGS
// updates, except DISCONNECTED, which only our own transport decides.
import type { NodeEntry } from '../config/nodes-file.js';
import { NODE_FLAGS_INACTIVE, NodeFlag } from '../protocol/constants.js';

/** A deleted node is also disconnected, as in CTDB. */
const DELETED_FLAGS = NodeFlag.DELETED | NodeFlag.DISCONNECTED;

export interface NodeState {
  readonly pnn: number;
  address: string;
  flags: number;
  /** Capabilities last learned from the node (GET_CAPABILITIES); ours are exact. */
  capabilities: number;
}

export class NodeMap {
  readonly nodes: NodeState[] = [];

  constructor(
    entries: readonly NodeEntry[],
    readonly selfPnn: number,
    selfFlags: number,
    selfCapabilities: number,
  ) {
    for (const e of entries) {
      const flags = e.deleted
        ? DELETED_FLAGS
        : e.pnn === selfPnn
          ? selfFlags
          : NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY;
      this.nodes.push({
        pnn: e.pnn,
        address: e.address,
        flags,
        capabilities: e.pnn === selfPnn ? selfCapabilities : 0,
      });
    }
  }

  get(pnn: number): NodeState | undefined {
    return this.nodes[pnn];
  }

  get self(): NodeState {
    return this.nodes[this.selfPnn]!;
  }

  isActive(pnn: number): boolean {
    const n = this.get(pnn);
    return n !== undefined && (n.flags & NODE_FLAGS_INACTIVE) === 0;
  }

  /** Nodes that are neither deleted nor disconnected (self included). */
  connected(): NodeState[] {
    return this.nodes.filter((n) => (n.flags & (NodeFlag.DELETED | NodeFlag.DISCONNECTED)) === 0);
  }

  active(): NodeState[] {
    return this.nodes.filter((n) => (n.flags & NODE_FLAGS_INACTIVE) === 0);
  }

  /** Applies a reloaded nodes file: new nodes appended, deletions and undeletions. */
  reload(
    entries: readonly NodeEntry[],
  ): { pnn: number; change: 'NEW' | 'DELETED' | 'UNDELETED' }[] {
    const changes: { pnn: number; change: 'NEW' | 'DELETED' | 'UNDELETED' }[] = [];
    for (const e of entries) {
      const cur = this.nodes[e.pnn];
      if (cur === undefined) {
        this.nodes.push({
          pnn: e.pnn,
          address: e.address,
          flags: e.deleted ? DELETED_FLAGS : NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY,
          capabilities: 0,
        });
        if (!e.deleted) changes.push({ pnn: e.pnn, change: 'NEW' });
        continue;
      }
      const wasDeleted = (cur.flags & NodeFlag.DELETED) !== 0;
      if (e.deleted && !wasDeleted) {
        cur.flags = DELETED_FLAGS;
        cur.address = '0.0.0.0';
        changes.push({ pnn: e.pnn, change: 'DELETED' });
      } else if (!e.deleted && wasDeleted) {
        cur.flags = NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY;
        cur.address = e.address;
        changes.push({ pnn: e.pnn, change: 'UNDELETED' });
      }
    }
    return changes;
  }
}
