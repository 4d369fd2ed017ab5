// IP address text ↔ bytes helpers for netlink (which speaks raw Buffers), plus the prefix
// arithmetic CTDB's scripts get from `ip` for free: broadcast addresses (`brd +`), network
// prefixes, and RFC 5952 text for IPv6.
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidAddressError } from '../errors/index.js';

export type Family = 4 | 6;

/** AF_INET / AF_INET6, as netlink messages carry them. */
export const AF_INET = 2;
export const AF_INET6 = 10;

export function ipFamily(ip: string): Family | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}

export function afOf(family: Family): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function maxBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export { InvalidAddressError };

/** The bytes of an IPv4 (4) or IPv6 (16) address. */
export function ipToBuffer(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new InvalidAddressError(ip);
  let text = ip.split('%')[0]!;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const b = v4[1]!.split('.').map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    text = text.slice(0, -v4[1]!.length) + '0';
  }
  const halves = text.split('::');
  const head = halves[0] ?? '';
  const rest = halves[1];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  let groups = parse(head);
  if (rest !== undefined) {
    const right = parse(rest);
    const fill = 8 - groups.length - right.length - (tail.length > 0 ? 1 : 0);
    groups = [...groups, ...new Array<number>(fill).fill(0), ...right];
  }
  if (tail.length > 0) groups = [...groups.slice(0, -1), ...tail];
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  return buf;
}

/** Text for 4 or 16 address bytes; IPv6 in RFC 5952 form (as `ip` prints it). */
export function bufferToIp(buf: Uint8Array): string {
  if (buf.length === 4) return Array.from(buf).join('.');
  if (buf.length !== 16) throw new InvalidAddressError(`<${buf.length} bytes>`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((buf[i]! << 8) | buf[i + 1]!);
  // Longest run of two or more zero groups becomes "::" (the first one on a tie).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text for an address (so `fd00:0::5` and `fd00::5` compare equal). */
export function canonicalIp(ip: string): string {
  return bufferToIp(ipToBuffer(ip));
}

/** The network address of IP/BITS. */
export function networkOf(ip: string, bits: number): Buffer {
  const buf = ipToBuffer(ip);
  for (let i = 0; i < buf.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    buf[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return buf;
}

/**
 * The IPv4 broadcast address `ip addr add … brd +` would set: the host bits all ones. For
 * /31 and /32 there is none (iproute2 leaves it unset), so undefined.
 */
export function broadcastOf(ip: string, bits: number): Buffer | undefined {
  if (!isIPv4(ip) || bits >= 31) return undefined;
  const buf = ipToBuffer(ip);
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    buf[i]! |= ~(0xff << (8 - keep)) & 0xff;
  }
  return buf;
}

/** True when ADDRESS lies in NETWORK/BITS. */
export function prefixContains(network: string, bits: number, address: string): boolean {
  if (ipFamily(network) !== ipFamily(address)) return false;
  return networkOf(network, bits).equals(networkOf(address, bits));
}

/** Parses `ADDR[/BITS]`; BITS defaults to the full length. */
export function parsePrefix(text: string): { ip: string; bits: number; family: Family } {
  const parts = text.split('/');
  const ip = parts[0] ?? '';
  const bitsText = parts[1];
  const family = ipFamily(ip);
  if (family === undefined) throw new InvalidAddressError(text);
  const bits = bitsText === undefined ? maxBits(family) : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? '0') || bits > maxBits(family)) throw new InvalidAddressError(text);
  return { ip, bits, family };
}
