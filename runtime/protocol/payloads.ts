// Payload layouts (the `data` of controls and messages) for the controls and messages of
// node management. Each is a Codec: `encode(value)` gives the bytes CTDB 4.17 puts on the wire,
// `decode(bytes)` reads them back or throws ProtocolError naming the field.
// Layout notes: integers are LE; `timeval` is 16 bytes (i64 seconds, i64 microseconds);
// strings are NUL-terminated; `stringn` is a u32 length (including the NUL) then the string;
// CTDB's explicit padding (4 bytes before a timeval or u64) is written as zeros.
import { Reader, Writer, cString, cStringBytes } from './cursor.js';
import { ProtocolError } from './errors.js';
import { readSockAddr, writeSockAddr, type SockAddr } from './sockaddr.js';

export interface Codec<T> {
  /** Structure name used in error messages. */
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Builds a Codec from a writer and a reader of the structure. */
export function codec<T>(
  name: string,
  write: (w: Writer, v: T) => void,
  read: (r: Reader) => T,
): Codec<T> {
  return {
    name,
    encode(value) {
      const w = new Writer();
      write(w, value);
      return w.finish();
    },
    decode(bytes) {
      return read(new Reader(bytes, name));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Scalars

export const u32Payload = codec<number>(
  'uint32',
  (w, v) => w.u32(v, 'uint32'),
  (r) => r.u32('value'),
);
export const i32Payload = codec<number>(
  'int32',
  (w, v) => w.i32(v, 'int32'),
  (r) => r.i32('value'),
);
export const u64Payload = codec<bigint>(
  'uint64',
  (w, v) => w.u64(v, 'uint64'),
  (r) => r.u64('value'),
);

/** A NUL-terminated string; empty data decodes as undefined (CTDB's NULL string). */
export const stringPayload = codec<string | undefined>(
  'string',
  (w, v) => {
    if (v !== undefined) w.bytes(cStringBytes(v));
  },
  (r) => (r.remaining === 0 ? undefined : cString(r.bytesOf(r.remaining, 'string'))),
);

/** u32 length (including NUL) then the string: GET_TUNABLE's request. */
export const stringnPayload = codec<string>(
  'stringn',
  (w, v) => {
    const b = cStringBytes(v);
    w.u32(b.byteLength).bytes(b);
  },
  (r) => cString(r.bytesOf(r.u32('length'), 'string')),
);

// ---------------------------------------------------------------------------------------------
// Time

export interface Timeval {
  readonly sec: number;
  readonly usec: number;
}

export function readTimeval(r: Reader, field: string): Timeval {
  return { sec: Number(r.i64(`${field}.tv_sec`)), usec: Number(r.i64(`${field}.tv_usec`)) };
}

export function writeTimeval(w: Writer, t: Timeval): void {
  w.i64(BigInt(Math.trunc(t.sec))).i64(BigInt(Math.trunc(t.usec)));
}

export function timevalFromMs(ms: number): Timeval {
  const sec = Math.floor(ms / 1000);
  return { sec, usec: Math.round((ms - sec * 1000) * 1000) };
}

export function timevalToMs(t: Timeval): number {
  return t.sec * 1000 + t.usec / 1000;
}

export interface Uptime {
  readonly currentTime: Timeval;
  readonly ctdbdStartTime: Timeval;
  readonly lastRecoveryStarted: Timeval;
  readonly lastRecoveryFinished: Timeval;
}

/** UPTIME reply: four timevals (64 bytes). */
export const uptimePayload = codec<Uptime>(
  'uptime',
  (w, v) => {
    writeTimeval(w, v.currentTime);
    writeTimeval(w, v.ctdbdStartTime);
    writeTimeval(w, v.lastRecoveryStarted);
    writeTimeval(w, v.lastRecoveryFinished);
  },
  (r) => ({
    currentTime: readTimeval(r, 'current_time'),
    ctdbdStartTime: readTimeval(r, 'ctdbd_start_time'),
    lastRecoveryStarted: readTimeval(r, 'last_recovery_started'),
    lastRecoveryFinished: readTimeval(r, 'last_recovery_finished'),
  }),
);

// ---------------------------------------------------------------------------------------------
// Node map and vnn map

export interface NodeAndFlags {
  readonly pnn: number;
  readonly flags: number;
  readonly addr: SockAddr;
}

export interface NodeMap {
  readonly nodes: readonly NodeAndFlags[];
}

/** GET_NODEMAP / GET_NODES_FILE reply: u32 count, then {pnn u32, flags u32, sockaddr 28}. */
export const nodeMapPayload = codec<NodeMap>(
  'node_map',
  (w, v) => {
    w.u32(v.nodes.length);
    for (const n of v.nodes) {
      w.u32(n.pnn, 'node.pnn').u32(n.flags, 'node.flags');
      writeSockAddr(w, n.addr);
    }
  },
  (r) => {
    const num = r.u32('num');
    if (num * 36 > r.remaining) {
      throw new ProtocolError('bad-length', 'node_map.num', `${num} nodes do not fit`);
    }
    const nodes: NodeAndFlags[] = [];
    for (let i = 0; i < num; i++) {
      nodes.push({
        pnn: r.u32(`node[${i}].pnn`),
        flags: r.u32(`node[${i}].flags`),
        addr: readSockAddr(r, `node[${i}].addr`),
      });
    }
    return { nodes };
  },
);

export interface VnnMap {
  readonly generation: number;
  /** hash bucket → lmaster PNN */
  readonly map: readonly number[];
}

/** GETVNNMAP reply / SETVNNMAP request: generation, size, size × u32. */
export const vnnMapPayload = codec<VnnMap>(
  'vnn_map',
  (w, v) => {
    w.u32(v.generation, 'vnn_map.generation').u32(v.map.length);
    for (const p of v.map) w.u32(p, 'vnn_map.map');
  },
  (r) => {
    const generation = r.u32('generation');
    const size = r.u32('size');
    if (size * 4 > r.remaining) {
      throw new ProtocolError('bad-length', 'vnn_map.size', `${size} entries do not fit`);
    }
    const map: number[] = [];
    for (let i = 0; i < size; i++) map.push(r.u32(`map[${i}]`));
    return { generation, map };
  },
);

// ---------------------------------------------------------------------------------------------
// Tunables

export interface TunableValue {
  readonly name: string;
  readonly value: number;
}

/** SET_TUNABLE request: value u32, then stringn name. */
export const tunablePayload = codec<TunableValue>(
  'tunable',
  (w, v) => {
    w.u32(v.value, 'tunable.value');
    const b = cStringBytes(v.name);
    w.u32(b.byteLength).bytes(b);
  },
  (r) => {
    const value = r.u32('value');
    const name = cString(r.bytesOf(r.u32('name.length'), 'name'));
    return { name, value };
  },
);

/** LIST_TUNABLES reply: u32 length, then the names joined by ':' and NUL-terminated. */
export const varListPayload = codec<readonly string[]>(
  'var_list',
  (w, v) => {
    const b = v.length === 0 ? new Uint8Array(0) : cStringBytes(v.join(':'));
    w.u32(b.byteLength).bytes(b);
  },
  (r) => {
    const len = r.u32('length');
    const text = cString(r.bytesOf(len, 'vars'));
    return text.split(':').filter((s) => s !== '');
  },
);

/**
 * Field order of `struct ctdb_tunable_list` (GET_ALL_TUNABLES): every tunable including the
 * obsolete ones, each a u32. This is the wire order, not the `listvars` order.
 */
export const TUNABLE_LIST_ORDER = [
  'MaxRedirectCount',
  'SeqnumInterval',
  'ControlTimeout',
  'TraverseTimeout',
  'KeepaliveInterval',
  'KeepaliveLimit',
  'RecoverTimeout',
  'RecoverInterval',
  'ElectionTimeout',
  'TakeoverTimeout',
  'MonitorInterval',
  'TickleUpdateInterval',
  'EventScriptTimeout',
  'MonitorTimeoutCount',
  'EventScriptUnhealthyOnTimeout',
  'RecoveryGracePeriod',
  'RecoveryBanPeriod',
  'DatabaseHashSize',
  'DatabaseMaxDead',
  'RerecoveryTimeout',
  'EnableBans',
  'DeterministicIPs',
  'ReclockPingPeriod',
  'NoIPFailback',
  'DisableIPFailover',
  'VerboseMemoryNames',
  'RecdPingTimeout',
  'RecdFailCount',
  'LogLatencyMs',
  'RecLockLatencyMs',
  'RecoveryDropAllIPs',
  'VerifyRecoveryLock',
  'VacuumInterval',
  'VacuumMaxRunTime',
  'RepackLimit',
  'VacuumLimit',
  'MaxQueueDropMsg',
  'AllowUnhealthyDBRead',
  'StatHistoryInterval',
  'DeferredAttachTO',
  'VacuumFastPathCount',
  'LCP2PublicIPs',
  'AllowClientDBAttach',
  'RecoverPDBBySeqNum',
  'DeferredRebalanceOnNodeAdd',
  'FetchCollapse',
  'HopcountMakeSticky',
  'StickyDuration',
  'StickyPindown',
  'NoIPTakeover',
  'DBRecordCountWarn',
  'DBRecordSizeWarn',
  'DBSizeWarn',
  'PullDBPreallocation',
  'NoIPHostOnAllDisabled',
  'Samba3AvoidDeadlocks',
  'TDBMutexEnabled',
  'LockProcessesPerDB',
  'RecBufferSizeLimit',
  'QueueBufferSize',
  'IPAllocAlgorithm',
  'AllowMixedVersions',
] as const;
export type TunableListName = (typeof TUNABLE_LIST_ORDER)[number];
export type TunableList = Readonly<Record<TunableListName, number>>;

/** GET_ALL_TUNABLES reply: 62 u32 values in TUNABLE_LIST_ORDER. */
export const tunableListPayload = codec<TunableList>(
  'tunable_list',
  (w, v) => {
    for (const name of TUNABLE_LIST_ORDER) w.u32(v[name], `tunable_list.${name}`);
  },
  (r) => {
    const out: Partial<Record<TunableListName, number>> = {};
    for (const name of TUNABLE_LIST_ORDER) out[name] = r.u32(name);
    return out as TunableList;
  },
);

// ---------------------------------------------------------------------------------------------
// Node state changes

export interface BanState {
  readonly pnn: number;
  /** seconds; 0 = unban */
  readonly time: number;
}

/** SET_BAN_STATE request / GET_BAN_STATE reply: pnn u32, time u32. */
export const banStatePayload = codec<BanState>(
  'ban_state',
  (w, v) => w.u32(v.pnn, 'ban_state.pnn').u32(v.time, 'ban_state.time'),
  (r) => ({ pnn: r.u32('pnn'), time: r.u32('time') }),
);

export interface NodeFlagChange {
  readonly pnn: number;
  readonly newFlags: number;
  readonly oldFlags: number;
}

/** MODIFY_FLAGS request, SRVID_PUSH_NODE_FLAGS message: pnn, new_flags, old_flags. */
export const nodeFlagChangePayload = codec<NodeFlagChange>(
  'node_flag_change',
  (w, v) =>
    w
      .u32(v.pnn, 'node_flag_change.pnn')
      .u32(v.newFlags, 'node_flag_change.new_flags')
      .u32(v.oldFlags, 'node_flag_change.old_flags'),
  (r) => ({ pnn: r.u32('pnn'), newFlags: r.u32('new_flags'), oldFlags: r.u32('old_flags') }),
);

// ---------------------------------------------------------------------------------------------
// Messages (REQ_MESSAGE data for well-known srvids)

export interface ElectionMessage {
  /** Sent but ignored by the receiver. */
  readonly numConnected: number;
  /** The sender's recoverd start time; the earlier wins. */
  readonly priorityTime: Timeval;
  readonly pnn: number;
  readonly nodeFlags: number;
}

/** SRVID_ELECTION: num_connected u32, 4 pad, timeval 16, pnn u32, node_flags u32 (32 bytes). */
export const electionPayload = codec<ElectionMessage>(
  'election_message',
  (w, v) => {
    w.u32(v.numConnected, 'election.num_connected').zeros(4);
    writeTimeval(w, v.priorityTime);
    w.u32(v.pnn, 'election.pnn').u32(v.nodeFlags, 'election.node_flags');
  },
  (r) => {
    const numConnected = r.u32('num_connected');
    r.skip(4, 'pad');
    return {
      numConnected,
      priorityTime: readTimeval(r, 'priority_time'),
      pnn: r.u32('pnn'),
      nodeFlags: r.u32('node_flags'),
    };
  },
);

/** SRVID_LEADER, SRVID_BANNING, SRVID_REBALANCE_NODE: one u32 PNN (UNKNOWN_PNN = election). */
export const pnnMessagePayload = u32Payload;

export interface SrvidMessage {
  readonly pnn: number;
  /** Where to send the reply; 0 = no reply. */
  readonly srvid: bigint;
}

/** SRVID_TAKEOVER_RUN, SRVID_MEM_DUMP: pnn u32, 4 pad, srvid u64. */
export const srvidMessagePayload = codec<SrvidMessage>(
  'srvid_message',
  (w, v) => w.u32(v.pnn, 'srvid_message.pnn').zeros(4).u64(v.srvid, 'srvid_message.srvid'),
  (r) => {
    const pnn = r.u32('pnn');
    r.skip(4, 'pad');
    return { pnn, srvid: r.u64('srvid') };
  },
);

export interface DisableMessage {
  readonly pnn: number;
  readonly srvid: bigint;
  readonly timeout: number;
}

/** SRVID_DISABLE_TAKEOVER_RUNS / DISABLE_RECOVERIES: pnn, pad, srvid, timeout, pad (24 bytes). */
export const disableMessagePayload = codec<DisableMessage>(
  'disable_message',
  (w, v) =>
    w
      .u32(v.pnn, 'disable_message.pnn')
      .zeros(4)
      .u64(v.srvid, 'disable_message.srvid')
      .u32(v.timeout, 'disable_message.timeout')
      .zeros(4),
  (r) => {
    const pnn = r.u32('pnn');
    r.skip(4, 'pad');
    const srvid = r.u64('srvid');
    const timeout = r.u32('timeout');
    return { pnn, srvid, timeout };
  },
);

export interface PublicIp {
  readonly pnn: number;
  readonly addr: SockAddr;
}

/** ctdb_public_ip: pnn u32, sockaddr 28. */
export const publicIpPayload = codec<PublicIp>(
  'public_ip',
  (w, v) => {
    w.u32(v.pnn, 'public_ip.pnn');
    writeSockAddr(w, v.addr);
  },
  (r) => ({ pnn: r.u32('pnn'), addr: readSockAddr(r, 'addr') }),
);

// ---------------------------------------------------------------------------------------------
// Interfaces

export interface Iface {
  /** At most 17 bytes; the field is 18 bytes (IFNAMSIZ + 2), NUL-padded. */
  readonly name: string;
  /** 1 = up, 0 = down */
  readonly linkState: number;
  readonly references: number;
}

const IFACE_NAME_SIZE = 18;

/** GET_IFACES reply: u32 count, then {name char[18], link_state u16, references u32}. */
export const ifaceListPayload = codec<readonly Iface[]>(
  'iface_list',
  (w, v) => {
    w.u32(v.length);
    for (const i of v) {
      const name = cStringBytes(i.name);
      if (name.byteLength > IFACE_NAME_SIZE) {
        throw new ProtocolError('bad-value', 'iface.name', `${i.name} is too long`);
      }
      w.bytes(name).zeros(IFACE_NAME_SIZE - name.byteLength);
      w.u16(i.linkState).u32(i.references, 'iface.references');
    }
  },
  (r) => {
    const num = r.u32('num');
    if (num * 24 > r.remaining) {
      throw new ProtocolError('bad-length', 'iface_list.num', `${num} interfaces do not fit`);
    }
    const out: Iface[] = [];
    for (let i = 0; i < num; i++) {
      out.push({
        name: cString(r.bytesOf(IFACE_NAME_SIZE, `iface[${i}].name`)),
        linkState: r.u16(`iface[${i}].link_state`),
        references: r.u32(`iface[${i}].references`),
      });
    }
    return out;
  },
);
