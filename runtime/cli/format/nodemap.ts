// Node-map text as `ctdb status` / `nodestatus` print it: the flag words, the human table and the
// machine table (rows begin and end with the separator).
import { NodeFlag, NODE_FLAGS_INACTIVE } from '../../protocol/constants.js';
import type { SockAddr } from '../../protocol/sockaddr.js';

export interface NodeRow {
  readonly pnn: number;
  readonly flags: number;
  readonly addr: SockAddr;
}

/** Flag names in CTDB's print order; INACTIVE if any inactive bit is set; OK if none. */
const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [NodeFlag.DISCONNECTED, 'DISCONNECTED'],
  [NodeFlag.UNKNOWN, 'UNKNOWN'],
  [NodeFlag.PERMANENTLY_DISABLED, 'DISABLED'],
  [NodeFlag.BANNED, 'BANNED'],
  [NodeFlag.UNHEALTHY, 'UNHEALTHY'],
  [NodeFlag.DELETED, 'DELETED'],
  [NodeFlag.STOPPED, 'STOPPED'],
  [NODE_FLAGS_INACTIVE, 'INACTIVE'],
];

export function flagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length === 0 ? 'OK' : names.join('|');
}

/** The address without port, as ctdb_sock_addr_to_string(..., false). */
export function addrText(addr: SockAddr): string {
  return addr.address;
}

export function nodemapHuman(
  nodes: readonly NodeRow[],
  thisPnn: number,
  header: boolean,
  partiallyOnline: ReadonlySet<number>,
): string {
  let out = '';
  const deleted = nodes.filter((n) => (n.flags & NodeFlag.DELETED) !== 0).length;
  if (header) {
    out +=
      deleted === 0
        ? `Number of nodes:${nodes.length}\n`
        : `Number of nodes:${nodes.length} (including ${deleted} deleted nodes)\n`;
  }
  for (const n of nodes) {
    if ((n.flags & NodeFlag.DELETED) !== 0) continue;
    const state = partiallyOnline.has(n.pnn) ? 'PARTIALLYONLINE' : flagsText(n.flags);
    out += `pnn:${n.pnn} ${addrText(n.addr).padEnd(16)} ${state}${n.pnn === thisPnn ? ' (THIS NODE)' : ''}\n`;
  }
  return out;
}

export function nodemapMachine(
  nodes: readonly NodeRow[],
  thisPnn: number,
  sep: string,
  partiallyOnline: ReadonlySet<number>,
): string {
  const row = (cells: readonly (string | number)[]): string => `${sep}${cells.join(sep)}${sep}\n`;
  let out = row([
    'Node',
    'IP',
    'Disconnected',
    'Unknown',
    'Banned',
    'Disabled',
    'Unhealthy',
    'Stopped',
    'Inactive',
    'PartiallyOnline',
    'ThisNode',
  ]);
  const bit = (flags: number, mask: number): number => ((flags & mask) !== 0 ? 1 : 0);
  for (const n of nodes) {
    if ((n.flags & NodeFlag.DELETED) !== 0) continue;
    out += row([
      n.pnn,
      addrText(n.addr),
      bit(n.flags, NodeFlag.DISCONNECTED),
      bit(n.flags, NodeFlag.UNKNOWN),
      bit(n.flags, NodeFlag.BANNED),
      bit(n.flags, NodeFlag.PERMANENTLY_DISABLED),
      bit(n.flags, NodeFlag.UNHEALTHY),
      bit(n.flags, NodeFlag.STOPPED),
      bit(n.flags, NODE_FLAGS_INACTIVE),
      partiallyOnline.has(n.pnn) ? 1 : 0,
      n.pnn === thisPnn ? 'Y' : 'N',
    ]);
  }
  return out;
}
