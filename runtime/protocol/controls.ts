// The one table of CTDB control opcodes: every number 0..162 with its name and its standing in
// CTDB 4.17. `active` controls are implemented by a 4.17 daemon; `obsolete` ones keep their
// number but a 4.17 daemon answers them with an error; `removed` numbers have no name any more;
// `head` controls exist only in later Samba releases (a 4.17 daemon does not know them).
// The Control name→number object, lookups and the "answer with an error" rule all derive from here.

export type ControlStanding = 'active' | 'obsolete' | 'removed' | 'head';

type Row = readonly [opcode: number, name: string | null, standing: ControlStanding];

// prettier-ignore
const ROWS = [
  [0, 'PROCESS_EXISTS', 'active'],
  [1, 'STATISTICS', 'active'],
  [2, null, 'removed'],
  [3, 'PING', 'active'],
  [4, 'GETDBPATH', 'active'],
  [5, 'GETVNNMAP', 'active'],
  [6, 'SETVNNMAP', 'active'],
  [7, 'GET_DEBUG', 'active'],
  [8, 'SET_DEBUG', 'active'],
  [9, 'GET_DBMAP', 'active'],
  [10, 'GET_NODEMAPv4', 'obsolete'],
  [11, 'SET_DMASTER', 'obsolete'],
  [12, null, 'removed'],
  [13, 'PULL_DB', 'obsolete'],
  [14, 'PUSH_DB', 'obsolete'],
  [15, 'GET_RECMODE', 'active'],
  [16, 'SET_RECMODE', 'active'],
  [17, 'STATISTICS_RESET', 'active'],
  [18, 'DB_ATTACH', 'active'],
  [19, 'SET_CALL', 'obsolete'],
  [20, 'TRAVERSE_START', 'active'],
  [21, 'TRAVERSE_ALL', 'active'],
  [22, 'TRAVERSE_DATA', 'active'],
  [23, 'REGISTER_SRVID', 'active'],
  [24, 'DEREGISTER_SRVID', 'active'],
  [25, 'GET_DBNAME', 'active'],
  [26, 'ENABLE_SEQNUM', 'active'],
  [27, 'UPDATE_SEQNUM', 'active'],
  [28, null, 'removed'],
  [29, 'DUMP_MEMORY', 'active'],
  [30, 'GET_PID', 'active'],
  [31, 'GET_RECMASTER', 'obsolete'],
  [32, 'SET_RECMASTER', 'obsolete'],
  [33, 'FREEZE', 'active'],
  [34, 'THAW', 'obsolete'],
  [35, 'GET_PNN', 'active'],
  [36, 'SHUTDOWN', 'active'],
  [37, 'GET_MONMODE', 'obsolete'],
  [38, null, 'removed'],
  [39, null, 'removed'],
  [40, null, 'removed'],
  [41, null, 'removed'],
  [42, 'TAKEOVER_IPv4', 'obsolete'],
  [43, 'RELEASE_IPv4', 'obsolete'],
  [44, 'TCP_CLIENT', 'active'],
  [45, 'TCP_ADD', 'active'],
  [46, 'TCP_REMOVE', 'active'],
  [47, 'STARTUP', 'active'],
  [48, 'SET_TUNABLE', 'active'],
  [49, 'GET_TUNABLE', 'active'],
  [50, 'LIST_TUNABLES', 'active'],
  [51, 'GET_PUBLIC_IPSv4', 'obsolete'],
  [52, 'MODIFY_FLAGS', 'active'],
  [53, 'GET_ALL_TUNABLES', 'active'],
  [54, 'KILL_TCP', 'obsolete'],
  [55, 'GET_TCP_TICKLE_LIST', 'active'],
  [56, 'SET_TCP_TICKLE_LIST', 'active'],
  [57, 'REGISTER_SERVER_ID', 'obsolete'],
  [58, 'UNREGISTER_SERVER_ID', 'obsolete'],
  [59, 'CHECK_SERVER_ID', 'obsolete'],
  [60, 'GET_SERVER_ID_LIST', 'obsolete'],
  [61, 'DB_ATTACH_PERSISTENT', 'active'],
  [62, 'PERSISTENT_STORE', 'obsolete'],
  [63, 'UPDATE_RECORD', 'active'],
  [64, 'SEND_GRATUITOUS_ARP', 'active'],
  [65, 'TRANSACTION_START', 'obsolete'],
  [66, 'TRANSACTION_COMMIT', 'obsolete'],
  [67, 'WIPE_DATABASE', 'active'],
  [68, null, 'removed'],
  [69, 'UPTIME', 'active'],
  [70, 'START_RECOVERY', 'active'],
  [71, 'END_RECOVERY', 'active'],
  [72, 'RELOAD_NODES_FILE', 'active'],
  [73, null, 'removed'],
  [74, 'TRY_DELETE_RECORDS', 'active'],
  [75, 'ENABLE_MONITOR', 'obsolete'],
  [76, 'DISABLE_MONITOR', 'obsolete'],
  [77, 'ADD_PUBLIC_IP', 'active'],
  [78, 'DEL_PUBLIC_IP', 'active'],
  [79, 'RUN_EVENTSCRIPTS', 'obsolete'],
  [80, 'GET_CAPABILITIES', 'active'],
  [81, 'START_PERSISTENT_UPDATE', 'obsolete'],
  [82, 'CANCEL_PERSISTENT_UPDATE', 'obsolete'],
  [83, 'TRANS2_COMMIT', 'obsolete'],
  [84, 'TRANS2_FINISHED', 'obsolete'],
  [85, 'TRANS2_ERROR', 'obsolete'],
  [86, 'TRANS2_COMMIT_RETRY', 'obsolete'],
  [87, 'RECD_PING', 'active'],
  [88, 'RELEASE_IP', 'active'],
  [89, 'TAKEOVER_IP', 'active'],
  [90, 'GET_PUBLIC_IPS', 'active'],
  [91, 'GET_NODEMAP', 'active'],
  [92, null, 'removed'],
  [93, null, 'removed'],
  [94, null, 'removed'],
  [95, null, 'removed'],
  [96, 'GET_EVENT_SCRIPT_STATUS', 'obsolete'],
  [97, 'TRAVERSE_KILL', 'active'],
  [98, 'RECD_RECLOCK_LATENCY', 'active'],
  [99, 'GET_RECLOCK_FILE', 'active'],
  [100, 'SET_RECLOCK_FILE', 'obsolete'],
  [101, 'STOP_NODE', 'active'],
  [102, 'CONTINUE_NODE', 'active'],
  [103, 'SET_NATGWSTATE', 'obsolete'],
  [104, 'SET_LMASTERROLE', 'active'],
  [105, 'SET_RECMASTERROLE', 'active'],
  [106, null, 'removed'],
  [107, 'ENABLE_SCRIPT', 'obsolete'],
  [108, 'DISABLE_SCRIPT', 'obsolete'],
  [109, 'SET_BAN_STATE', 'active'],
  [110, 'GET_BAN_STATE', 'active'],
  [111, 'SET_DB_PRIORITY', 'obsolete'],
  [112, 'GET_DB_PRIORITY', 'obsolete'],
  [113, 'TRANSACTION_CANCEL', 'obsolete'],
  [114, 'REGISTER_NOTIFY', 'active'],
  [115, 'DEREGISTER_NOTIFY', 'active'],
  [116, 'TRANS2_ACTIVE', 'obsolete'],
  [117, 'GET_LOG', 'obsolete'],
  [118, 'CLEAR_LOG', 'obsolete'],
  [119, 'TRANS3_COMMIT', 'active'],
  [120, 'GET_DB_SEQNUM', 'active'],
  [121, 'DB_SET_HEALTHY', 'active'],
  [122, 'DB_GET_HEALTH', 'active'],
  [123, 'GET_PUBLIC_IP_INFO', 'active'],
  [124, 'GET_IFACES', 'active'],
  [125, 'SET_IFACE_LINK_STATE', 'active'],
  [126, 'TCP_ADD_DELAYED_UPDATE', 'active'],
  [127, 'GET_STAT_HISTORY', 'active'],
  [128, 'SCHEDULE_FOR_DELETION', 'active'],
  [129, 'SET_DB_READONLY', 'active'],
  [130, 'CHECK_SRVIDS', 'obsolete'],
  [131, 'TRAVERSE_START_EXT', 'active'],
  [132, 'GET_DB_STATISTICS', 'active'],
  [133, 'SET_DB_STICKY', 'active'],
  [134, 'RELOAD_PUBLIC_IPS', 'active'],
  [135, 'TRAVERSE_ALL_EXT', 'active'],
  [136, 'RECEIVE_RECORDS', 'obsolete'],
  [137, 'IPREALLOCATED', 'active'],
  [138, 'GET_RUNSTATE', 'active'],
  [139, 'DB_DETACH', 'active'],
  [140, 'GET_NODES_FILE', 'active'],
  [141, 'DB_FREEZE', 'active'],
  [142, 'DB_THAW', 'active'],
  [143, 'DB_TRANSACTION_START', 'active'],
  [144, 'DB_TRANSACTION_COMMIT', 'active'],
  [145, 'DB_TRANSACTION_CANCEL', 'active'],
  [146, 'DB_PULL', 'active'],
  [147, 'DB_PUSH_START', 'active'],
  [148, 'DB_PUSH_CONFIRM', 'active'],
  [149, 'DB_OPEN_FLAGS', 'active'],
  [150, 'DB_ATTACH_REPLICATED', 'active'],
  [151, 'CHECK_PID_SRVID', 'active'],
  [152, 'TUNNEL_REGISTER', 'active'],
  [153, 'TUNNEL_DEREGISTER', 'active'],
  [154, 'VACUUM_FETCH', 'active'],
  [155, 'DB_VACUUM', 'active'],
  [156, 'ECHO_DATA', 'active'],
  [157, 'DISABLE_NODE', 'active'],
  [158, 'ENABLE_NODE', 'active'],
  [159, 'TCP_CLIENT_DISCONNECTED', 'head'],
  [160, 'TCP_CLIENT_PASSED', 'head'],
  [161, 'START_IPREALLOCATE', 'head'],
  [162, 'PUSH_RECORD', 'head'],
] as const satisfies readonly Row[];

type NamedRow = Extract<(typeof ROWS)[number], readonly [number, string, ControlStanding]>;
export type ControlName = NamedRow[1];

export interface ControlInfo {
  readonly opcode: number;
  /** Upstream name without the CTDB_CONTROL_ prefix; `null` for a removed number. */
  readonly name: ControlName | null;
  readonly standing: ControlStanding;
}

export const CONTROLS: readonly ControlInfo[] = ROWS.map(([opcode, name, standing]) => ({
  opcode,
  name,
  standing,
}));

/** Control name → opcode, e.g. `Control.GET_PNN === 35`. */
export const Control = Object.fromEntries(
  CONTROLS.filter((c) => c.name !== null).map((c) => [c.name, c.opcode]),
) as { readonly [K in ControlName]: Extract<NamedRow, readonly [number, K, ControlStanding]>[0] };

/** What is known about an opcode; undefined for a number beyond the table. */
export function controlInfo(opcode: number): ControlInfo | undefined {
  return CONTROLS[opcode];
}

/** A printable name for logs: `GET_PNN`, `obsolete GET_NODEMAPv4`, or `unknown opcode 300`. */
export function controlLabel(opcode: number): string {
  const info = controlInfo(opcode);
  if (info === undefined || info.name === null) return `unknown opcode ${opcode}`;
  return info.standing === 'active' ? info.name : `${info.standing} ${info.name}`;
}

/**
 * True when a CTDB 4.17 daemon implements the opcode. Anything else (obsolete, removed, newer,
 * or unknown) must be answered with REPLY_CONTROL status -1, as ctdbd's dispatcher does.
 */
export function isImplementedIn417(opcode: number): boolean {
  return controlInfo(opcode)?.standing === 'active';
}
