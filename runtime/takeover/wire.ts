// Payload layouts of the public-IP and TCP-tracking controls that runtime/protocol does not
// carry yet, byte-compatible with CTDB 4.17: integers little-endian, addresses as the 28-byte
// ctdb_sock_addr, interface records 24 bytes (name char[18], link u16, references u32).
import {
  codec,
  ProtocolError,
  Reader,
  cString,
  cStringBytes,
  ifaceListPayload,
  publicIpPayload,
  readSockAddr,
  writeSockAddr,
  type Iface,
  type PublicIp,
  type SockAddr,
} from '../protocol/index.js';

const PUBLIC_IP_SIZE = 32;
const IFACE_SIZE = 24;
const CONNECTION_SIZE = 56;
const IFACE_NAME_SIZE = 18;

function checkCount(r: Reader, num: number, size: number, field: string): void {
  if (num * size > r.remaining) {
    throw new ProtocolError('bad-length', field, `${num} entries do not fit`);
  }
}

/** ctdb_sock_addr alone (GET_PUBLIC_IP_INFO, GET_TCP_TICKLE_LIST requests). */
export const sockAddrPayload = codec<SockAddr>(
  'sock_addr',
  (w, v) => writeSockAddr(w, v),
  (r) => readSockAddr(r, 'addr'),
);

/** GET_PUBLIC_IPS reply: u32 num, then num × ctdb_public_ip. */
export const publicIpListPayload = codec<readonly PublicIp[]>(
  'public_ip_list',
  (w, v) => {
    w.u32(v.length);
    for (const ip of v) w.bytes(publicIpPayload.encode(ip));
  },
  (r) => {
    const num = r.u32('num');
    checkCount(r, num, PUBLIC_IP_SIZE, 'public_ip_list.num');
    const out: PublicIp[] = [];
    for (let i = 0; i < num; i++) {
      out.push(publicIpPayload.decode(r.bytesOf(PUBLIC_IP_SIZE, `ip[${i}]`)));
    }
    return out;
  },
);

/** One interface record (SET_IFACE_LINK_STATE request). */
export const ifacePayload = codec<Iface>(
  'iface',
  (w, v) => {
    const name = cStringBytes(v.name);
    if (name.byteLength > IFACE_NAME_SIZE) {
      throw new ProtocolError('bad-value', 'iface.name', `${v.name} is too long`);
    }
    w.bytes(name).zeros(IFACE_NAME_SIZE - name.byteLength);
    w.u16(v.linkState).u32(v.references, 'iface.references');
  },
  (r) => ({
    name: cString(r.bytesOf(IFACE_NAME_SIZE, 'name')),
    linkState: r.u16('link_state'),
    references: r.u32('references'),
  }),
);

export interface PublicIpInfo {
  readonly ip: PublicIp;
  /** Index into `ifaces` of the interface holding the address; ifaces.length when none. */
  readonly activeIdx: number;
  readonly ifaces: readonly Iface[];
}

/** GET_PUBLIC_IP_INFO reply: ctdb_public_ip, u32 active_idx, iface list. */
export const publicIpInfoPayload = codec<PublicIpInfo>(
  'public_ip_info',
  (w, v) => {
    w.bytes(publicIpPayload.encode(v.ip));
    w.u32(v.activeIdx, 'public_ip_info.active_idx');
    w.bytes(ifaceListPayload.encode(v.ifaces));
  },
  (r) => {
    const ip = publicIpPayload.decode(r.bytesOf(PUBLIC_IP_SIZE, 'ip'));
    const activeIdx = r.u32('active_idx');
    const ifaces = ifaceListPayload.decode(r.bytesOf(r.remaining, 'ifaces'));
    return { ip, activeIdx, ifaces };
  },
);

export interface AddrInfo {
  readonly addr: SockAddr;
  readonly mask: number;
  readonly iface: string;
}

/** ADD_PUBLIC_IP, DEL_PUBLIC_IP, SEND_GRATUITOUS_ARP: sock_addr, u32 mask, stringn iface. */
export const addrInfoPayload = codec<AddrInfo>(
  'addr_info',
  (w, v) => {
    writeSockAddr(w, v.addr);
    w.u32(v.mask, 'addr_info.mask');
    const iface = cStringBytes(v.iface);
    w.u32(iface.byteLength).bytes(iface);
  },
  (r) => {
    const addr = readSockAddr(r, 'addr');
    const mask = r.u32('mask');
    const len = r.u32('iface.length');
    const iface = len === 0 ? '' : cString(r.bytesOf(len, 'iface'));
    return { addr, mask, iface };
  },
);

export interface Connection {
  readonly src: SockAddr;
  readonly dst: SockAddr;
}

/** TCP_CLIENT, TCP_ADD, TCP_REMOVE: two sock_addrs. */
export const connectionPayload = codec<Connection>(
  'connection',
  (w, v) => {
    writeSockAddr(w, v.src);
    writeSockAddr(w, v.dst);
  },
  (r) => ({ src: readSockAddr(r, 'src'), dst: readSockAddr(r, 'dst') }),
);

export interface TickleList {
  readonly addr: SockAddr;
  readonly connections: readonly Connection[];
}

/** GET_TCP_TICKLE_LIST reply and SET_TCP_TICKLE_LIST request: sock_addr, u32 num, connections. */
export const tickleListPayload = codec<TickleList>(
  'tickle_list',
  (w, v) => {
    writeSockAddr(w, v.addr);
    w.u32(v.connections.length);
    for (const c of v.connections) w.bytes(connectionPayload.encode(c));
  },
  (r) => {
    const addr = readSockAddr(r, 'addr');
    const num = r.u32('num');
    checkCount(r, num, CONNECTION_SIZE, 'tickle_list.num');
    const connections: Connection[] = [];
    for (let i = 0; i < num; i++) {
      connections.push(connectionPayload.decode(r.bytesOf(CONNECTION_SIZE, `conn[${i}]`)));
    }
    return { addr, connections };
  },
);

export { IFACE_SIZE };
