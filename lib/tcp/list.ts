// Established TCP connections, read from the kernel with a sock_diag netlink dump (what `ss`
// does, without forking it), and destroyed through sock_diag as `ss -K` does. Runs in the
// calling process's network namespace.
import { constants as osConstants } from 'node:os';
import { createNetlink, Protocol } from 'netlink';
import { canonicalIp, formatIp } from './address.js';
import type { Connection, Endpoint } from './connection.js';
import { RawNetError, TcpError } from './errors.js';

const SOCK_DIAG_BY_FAMILY = 20;
const SOCK_DESTROY = 21;
const NLM_F_DUMP = 0x300;
const TCP_ESTABLISHED = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const INET_DIAG_MSG_LEN = 72; // struct inet_diag_msg
const SOCKID_OFFSET = 4; // inet_diag_sockid inside inet_diag_msg
const SOCKID_LEN = 48;
const REQUEST_TIMEOUT_MS = 5000;

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

// An IPv4-mapped IPv6 address is an IPv4 connection on the wire; report it as IPv4.
function endpoint(addr: Buffer, port: number): Endpoint {
  if (addr.length === 16 && addr.subarray(0, 12).equals(MAPPED_PREFIX)) {
    return { ip: formatIp(addr.subarray(12)), port };
  }
  return { ip: formatIp(addr), port };
}

interface DiagSocket {
  readonly local: Endpoint;
  readonly peer: Endpoint;
  readonly family: number;
  /** The kernel's inet_diag_sockid (ports, addresses, ifindex, cookie), to name it again. */
  readonly id: Buffer;
}

function decode(data: Uint8Array): DiagSocket | undefined {
  if (data.length < INET_DIAG_MSG_LEN) return undefined;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const family = b.readUInt8(0);
  const alen = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
  if (alen === 0) return undefined;
  // inet_diag_sockid: sport(be16) dport(be16) src[16] dst[16] if(u32) cookie[2](u32)
  const sport = b.readUInt16BE(4);
  const dport = b.readUInt16BE(6);
  const src = Buffer.from(b.subarray(8, 8 + alen));
  const dst = Buffer.from(b.subarray(24, 24 + alen));
  return {
    local: endpoint(src, sport),
    peer: endpoint(dst, dport),
    family,
    id: Buffer.from(b.subarray(SOCKID_OFFSET, SOCKID_OFFSET + SOCKID_LEN)),
  };
}

/** Decodes one inet_diag_msg (the netlink payload) into local and peer endpoints. */
export function decodeInetDiagMsg(
  data: Uint8Array,
): { local: Endpoint; peer: Endpoint } | undefined {
  const d = decode(data);
  return d === undefined ? undefined : { local: d.local, peer: d.peer };
}

// struct inet_diag_req_v2: family, protocol, ext, pad, states(u32), inet_diag_sockid(48)
function request(family: number, id?: Buffer): Buffer {
  const req = Buffer.alloc(8 + SOCKID_LEN);
  req.writeUInt8(family, 0);
  req.writeUInt8(IPPROTO_TCP, 1);
  req.writeUInt32LE(1 << TCP_ESTABLISHED, 4);
  id?.copy(req, 8);
  return req;
}

// The netlink package reports a kernel error as `Request rejected: <ERRNO>` only.
function toError(err: unknown, operation: string, object: string): Error {
  const m = err instanceof Error ? /\b(E[A-Z0-9]+)\b/.exec(err.message) : null;
  const code = m?.[1];
  if (code !== undefined) {
    const errno = (osConstants.errno as Record<string, number | undefined>)[code] ?? 0;
    return new RawNetError(code, errno, operation, object);
  }
  return new TcpError(
    `${operation} ${object}: ${err instanceof Error ? err.message : String(err)}`,
  );
}

// One sock_diag socket for the process, made on first use and kept (unreferenced, so it never
// holds the process open): making and closing one per call costs milliseconds. A socket that
// failed is dropped and a fresh one made next time.
let diagSocket: ReturnType<typeof createNetlink> | undefined;

async function withSocket<T>(
  fn: (sock: ReturnType<typeof createNetlink>) => Promise<T>,
): Promise<T> {
  const sock = (diagSocket ??= createNetlink(Protocol.SOCK_DIAG));
  try {
    return await fn(sock);
  } catch (err) {
    if (diagSocket === sock && !(err instanceof RawNetError)) {
      diagSocket = undefined;
      sock.close();
    }
    throw err;
  }
}

async function dump(): Promise<DiagSocket[]> {
  return withSocket(async (sock) => {
    const out: DiagSocket[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      let msgs;
      try {
        [msgs] = await sock.request(SOCK_DIAG_BY_FAMILY, request(family), {
          flags: NLM_F_DUMP,
          timeout: REQUEST_TIMEOUT_MS,
        });
      } catch (err) {
        // A kernel without IPv6 has no AF_INET6 sockets to report.
        if (
          family === AF_INET6 &&
          err instanceof Error &&
          /ENOENT|EAFNOSUPPORT/.test(err.message)
        ) {
          continue;
        }
        throw toError(err, 'sock_diag dump', family === AF_INET ? 'tcp4' : 'tcp6');
      }
      for (const m of msgs) {
        if (m.type !== SOCK_DIAG_BY_FAMILY) continue;
        const d = decode(m.data);
        if (d !== undefined) out.push(d);
      }
    }
    return out;
  });
}

/** Every established TCP connection in this namespace, as {local, peer}. */
export async function listEstablished(): Promise<{ local: Endpoint; peer: Endpoint }[]> {
  return (await dump()).map((d) => ({ local: d.local, peer: d.peer }));
}

export interface ListOptions {
  /** Only connections whose local port is this one (update_tickles' port filter). */
  readonly port?: number;
}

function matcher(ips: string | readonly string[], opts: ListOptions): (d: DiagSocket) => boolean {
  const wanted = new Set<string>();
  for (const ip of typeof ips === 'string' ? [ips] : ips) {
    const c = canonicalIp(ip);
    if (c === undefined) throw new TcpError(`not an IP address: ${JSON.stringify(ip)}`);
    wanted.add(c);
  }
  return (d) => wanted.has(d.local.ip) && (opts.port === undefined || d.local.port === opts.port);
}

/**
 * Established TCP connections whose local address is one of `ips`, as CTDB's
 * get_tcp_connections_for_ip prints them: src = the local end, dst = the peer.
 */
export async function listConnections(
  ips: string | readonly string[],
  opts: ListOptions = {},
): Promise<Connection[]> {
  const match = matcher(ips, opts);
  return (await dump()).filter(match).map((d) => ({ src: d.local, dst: d.peer }));
}

/**
 * Destroys every established TCP connection whose local address is one of `ips`, as
 * `ss -K … state established src IP` does: the kernel aborts each socket, which sends a RST
 * to the peer. Needs CAP_NET_ADMIN and a kernel with CONFIG_INET_DIAG_DESTROY (else the
 * RawNetError is EOPNOTSUPP). Returns the connections destroyed (src = local end).
 */
export async function destroyConnections(
  ips: string | readonly string[],
  opts: ListOptions = {},
): Promise<Connection[]> {
  const match = matcher(ips, opts);
  const targets = (await dump()).filter(match);
  const destroyed: Connection[] = [];
  await withSocket(async (sock) => {
    for (const d of targets) {
      try {
        await sock.request(SOCK_DESTROY, request(d.family, d.id), { timeout: REQUEST_TIMEOUT_MS });
        destroyed.push({ src: d.local, dst: d.peer });
      } catch (err) {
        const e = toError(err, 'sock_diag destroy', `${d.local.ip}:${d.local.port}`);
        // Gone meanwhile (closed by its owner): nothing to destroy.
        if (e instanceof RawNetError && e.code === 'ENOENT') continue;
        throw e;
      }
    }
  });
  return destroyed;
}
