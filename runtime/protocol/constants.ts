// Wire constants of CTDB 4.17's protocol: header magic and version, operations, special
// destination nodes, node flags, capabilities, recovery modes, runstates, debug levels and the
// well-known message ports (SRVIDs). One definition each; everything else refers to these.

export const CTDB_MAGIC = 0x43544442; // "CTDB"
export const CTDB_PROTOCOL = 1;
export const HEADER_SIZE = 32;
/** TCP packets (and packets built by CTDB's client library) are padded to a multiple of this. */
export const PACKET_ALIGNMENT = 8;

/** The `operation` field of the header. 6 was removed upstream. */
export const Operation = {
  REQ_CALL: 0,
  REPLY_CALL: 1,
  REQ_DMASTER: 2,
  REPLY_DMASTER: 3,
  REPLY_ERROR: 4,
  REQ_MESSAGE: 5,
  REQ_CONTROL: 7,
  REPLY_CONTROL: 8,
  REQ_KEEPALIVE: 9,
  REQ_TUNNEL: 10,
} as const;
export type OperationName = keyof typeof Operation;
export type OperationCode = (typeof Operation)[OperationName];

const OPERATION_NAMES = new Map<number, OperationName>(
  Object.entries(Operation).map(([k, v]) => [v, k as OperationName]),
);
export function operationName(op: number): OperationName | undefined {
  return OPERATION_NAMES.get(op);
}

/** Special values of the header's `destnode`. */
export const DestNode = {
  /** Client → its local daemon (Unix socket). */
  CURRENT_NODE: 0xf0000001,
  /** Every non-deleted node, including the sender. */
  BROADCAST_ALL: 0xf0000002,
  /** Every node in the current vnnmap (non-INACTIVE). */
  BROADCAST_ACTIVE: 0xf0000003,
  /** Every connected, non-deleted node, including the sender. */
  BROADCAST_CONNECTED: 0xf0000004,
  /** Selected connected nodes. */
  MULTICAST: 0xf0000005,
} as const;

export const UNKNOWN_PNN = 0xffffffff;
export const INVALID_GENERATION = 1;

/** Bits of a node's flags (`ctdb_node_and_flags.flags`). */
export const NodeFlag = {
  DISCONNECTED: 0x01,
  UNHEALTHY: 0x02,
  PERMANENTLY_DISABLED: 0x04,
  BANNED: 0x08,
  DELETED: 0x10,
  STOPPED: 0x20,
  /** Tool-only pseudo flag: the node's view could not be fetched. */
  UNKNOWN: 0x40,
} as const;
/** UNHEALTHY | PERMANENTLY_DISABLED: in the vnnmap but hosts no IPs. */
export const NODE_FLAGS_DISABLED = 0x06;
/** DELETED | DISCONNECTED | BANNED | STOPPED: takes no part in vnnmap, election, recovery. */
export const NODE_FLAGS_INACTIVE = 0x39;

/** Capability bits (GET_CAPABILITIES). RECMASTER is printed as LEADER. */
export const Capability = {
  RECMASTER: 0x1,
  LMASTER: 0x2,
  /** obsolete */
  LVS: 0x4,
  /** obsolete */
  NATGW: 0x8,
  PARALLEL_RECOVERY: 0x10000,
  FRAGMENTED_CONTROLS: 0x20000,
} as const;
export const CAPABILITIES_DEFAULT = 0x30003;

export const RecoveryMode = { NORMAL: 0, ACTIVE: 1 } as const;

/** Runstates (GET_RUNSTATE); the names are what `ctdb runstate` prints. */
export const RUNSTATES = [
  'UNKNOWN',
  'INIT',
  'SETUP',
  'FIRST_RECOVERY',
  'STARTUP',
  'RUNNING',
  'SHUTDOWN',
] as const;
export type RunstateName = (typeof RUNSTATES)[number];
export const Runstate: { readonly [K in RunstateName]: number } = Object.fromEntries(
  RUNSTATES.map((name, i) => [name, i]),
) as { [K in RunstateName]: number };

/**
 * Debug levels (GET/SET_DEBUG carry an int32 in 0..10). Index = level; value = the name CTDB
 * prints for it. Names map to 0, 1, 3, 5, 10 when parsed.
 */
export const DEBUG_LEVEL_NAMES = [
  'ERROR',
  'WARNING',
  'WARNING',
  'NOTICE',
  'NOTICE',
  'INFO',
  'INFO',
  'INFO',
  'INFO',
  'INFO',
  'DEBUG',
] as const;
export const DebugLevel = { ERROR: 0, WARNING: 1, NOTICE: 3, INFO: 5, DEBUG: 10 } as const;

/** The name CTDB prints for a debug level number (`UNKNOWN` outside 0..10). */
export function debugLevelName(level: number): string {
  return DEBUG_LEVEL_NAMES[level] ?? 'UNKNOWN';
}

/**
 * Parses a debug level as CTDB does: a leading digit means a number 0..10; otherwise the text
 * is a case-insensitive prefix of ERROR, WARNING, NOTICE, INFO, DEBUG (first match wins).
 */
export function parseDebugLevel(text: string): number | undefined {
  if (text === '') return undefined;
  if (/^[0-9]/.test(text)) {
    const n = Number.parseInt(text, 10);
    return n >= 0 && n < DEBUG_LEVEL_NAMES.length ? n : undefined;
  }
  const upper = text.toUpperCase();
  for (const [name, level] of Object.entries(DebugLevel)) {
    if (name.startsWith(upper)) return level;
  }
  return undefined;
}

/** Well-known message ports (srvids). */
export const Srvid = {
  ALL: 0xffffffffffffffffn,
  RECOVERY: 0xf001000000000000n,
  BANNING: 0xf002000000000000n,
  ELECTION: 0xf100000000000000n,
  LEADER: 0xf101000000000000n,
  RECONFIGURE: 0xf200000000000000n,
  RELEASE_IP: 0xf300000000000000n,
  TAKE_IP: 0xf301000000000000n,
  IPREALLOCATED: 0xf302000000000000n,
  START_IPREALLOCATE: 0xf303000000000000n,
  SET_NODE_FLAGS: 0xf400000000000000n,
  RECD_UPDATE_IP: 0xf500000000000000n,
  VACUUM_FETCH: 0xf700000000000000n,
  DETACH_DATABASE: 0xf701000000000000n,
  MEM_DUMP: 0xf800000000000000n,
  GETLOG: 0xf801000000000000n,
  CLEARLOG: 0xf802000000000000n,
  PUSH_NODE_FLAGS: 0xf900000000000000n,
  RELOAD_NODES: 0xfa00000000000000n,
  TAKEOVER_RUN: 0xfb00000000000000n,
  REBALANCE_NODE: 0xfb01000000000000n,
  DISABLE_TAKEOVER_RUNS: 0xfb03000000000000n,
  DISABLE_RECOVERIES: 0xfb04000000000000n,
  DISABLE_IP_CHECK: 0xfc00000000000000n,
  /** Ranges (top 8 bits) reserved for particular clients. */
  PID_RANGE: 0x0000000000000000n,
  SAMBA_NOTIFY: 0xfe00000000000000n,
  SAMBA_RANGE: 0xfe00000000000000n,
  NFSD_RANGE: 0xee00000000000000n,
  ISCSID_RANGE: 0xde00000000000000n,
  TOOL_RANGE: 0xce00000000000000n,
  CLIENT_RANGE: 0xbe00000000000000n,
  TEST_RANGE: 0xae00000000000000n,
} as const;

/** REQ_CONTROL flags. The high 16 bits are opcode-specific. */
export const ControlFlag = {
  NOREPLY: 0x1,
  /** GET_PUBLIC_IPS: only the addresses this node can host. */
  PUBLIC_IP_ONLY_AVAILABLE: 0x00010000,
  /** DB_ATTACH: attach issued by recovery. */
  ATTACH_RECOVERY: 0x00020000,
} as const;
