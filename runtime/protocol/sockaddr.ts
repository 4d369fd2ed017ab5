// `ctdb_sock_addr`: a 28-byte union of sockaddr_in and sockaddr_in6 as the Linux kernel lays
// them out. The family is u16 in host order (LE); port and address are in network order.
import type { Reader, Writer } from './cursor.js';
import { ProtocolError } from './errors.js';

export const SOCK_ADDR_SIZE = 28;
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export interface SockAddr {
  readonly family: 'inet' | 'inet6' | 'unspec';
  /** Dotted quad or RFC 5952 text; `0.0.0.0` for an unspecified (e.g. deleted node) address. */
  readonly address: string;
  readonly port: number;
}

export function readSockAddr(r: Reader, field: string): SockAddr {
  const b = r.bytesOf(SOCK_ADDR_SIZE, field);
  const family = b[0]! | (b[1]! << 8);
  const port = (b[2]! << 8) | b[3]!;
  if (family === AF_INET) {
    return { family: 'inet', address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port };
  }
  if (family === AF_INET6) return { family: 'inet6', address: formatIPv6(b.subarray(8, 24)), port };
  if (family === AF_UNSPEC) return { family: 'unspec', address: '0.0.0.0', port: 0 };
  throw new ProtocolError(
    'bad-payload',
    `${r.context}.${field}.family`,
    `unknown family ${family}`,
  );
}

export function writeSockAddr(w: Writer, a: SockAddr): void {
  const b = new Uint8Array(SOCK_ADDR_SIZE);
  if (a.family === 'inet') {
    b[0] = AF_INET;
    b[2] = a.port >> 8;
    b[3] = a.port & 0xff;
    b.set(parseIPv4(a.address), 4);
  } else if (a.family === 'inet6') {
    b[0] = AF_INET6;
    b[2] = a.port >> 8;
    b[3] = a.port & 0xff;
    b.set(parseIPv6(a.address), 8);
  }
  w.bytes(b);
}

/** A SockAddr from an address string (IPv4 or IPv6). */
export function sockAddr(address: string, port = 0): SockAddr {
  return address.includes(':')
    ? { family: 'inet6', address: formatIPv6(parseIPv6(address)), port }
    : { family: 'inet', address: formatIPv4(parseIPv4(address)), port };
}

function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

export function parseIPv4(text: string): Uint8Array {
  const parts = text.split('.');
  const out = new Uint8Array(4);
  if (parts.length !== 4) throw new ProtocolError('bad-value', 'sockaddr', `bad IPv4 ${text}`);
  parts.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) {
      throw new ProtocolError('bad-value', 'sockaddr', `bad IPv4 ${text}`);
    }
    out[i] = n;
  });
  return out;
}

export function parseIPv6(text: string): Uint8Array {
  const bad = (): never => {
    throw new ProtocolError('bad-value', 'sockaddr', `bad IPv6 ${text}`);
  };
  let s = text;
  const out = new Uint8Array(16);
  // Trailing embedded IPv4 (::ffff:1.2.3.4)
  const groups: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: Uint8Array | undefined;
  if (v4) {
    tail = parseIPv4(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const parse = (h: string): number[] =>
    h === ''
      ? []
      : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : bad()));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) bad();
    groups.push(...head, ...new Array<number>(fill).fill(0), ...rest);
  } else {
    if (head.length !== 8) bad();
    groups.push(...head);
  }
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** RFC 5952 text (what inet_ntop prints): lower case, longest zero run (≥2) as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // IPv4-mapped addresses print the tail as a dotted quad, as glibc does.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}
