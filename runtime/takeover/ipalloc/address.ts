// Public addresses as the allocator sees them: a family and a 128-bit key made of four
// unsigned 32-bit words. An IPv4 address is [0, 0, 0, address]; an IPv6 address is its four
// words in network order. The key orders the merged list (descending) and feeds LCP2's
// common-prefix distance, so it must be exactly this shape.

import { IpallocAddressError } from './errors.js';

export type AddressFamily = 4 | 6;

/** Four unsigned 32-bit words, most significant first. */
export type IpKey = readonly [number, number, number, number];

export interface IpAddress {
  readonly family: AddressFamily;
  readonly key: IpKey;
  /** Canonical text: dotted quad, or IPv6 compressed the way glibc's inet_ntop writes it. */
  readonly text: string;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Words(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** The eight 16-bit groups of an IPv6 address, or undefined if the text is not one. */
function parseIpv6Groups(text: string): number[] | undefined {
  let head = text;
  let tailV4: number | undefined;
  // An embedded IPv4 address may take the place of the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.includes('.', lastColon)) {
    tailV4 = parseIpv4Words(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::", "a:b:…:f:1.2.3.4" leaves "…:f:".
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const wanted = tailV4 === undefined ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!HEX_GROUP.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = toGroups(halves[0] ?? '');
  if (left === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const right = toGroups(halves[1] ?? '');
    if (right === undefined) return undefined;
    const missing = wanted - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    if (left.length !== wanted) return undefined;
    groups = left;
  }
  if (tailV4 !== undefined) groups.push(Math.floor(tailV4 / 0x10000), tailV4 % 0x10000);
  return groups;
}

function ipv4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/**
 * IPv6 text as glibc's inet_ntop produces it: the first longest run of two or more zero
 * groups becomes "::", hex in lower case without leading zeros, and the IPv4-compatible
 * (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms keep a dotted tail.
 */
function ipv6Text(groups: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (groups[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else {
      curBase = -1;
      curLen = 0;
    }
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
      out += ipv4Text((groups[6] ?? 0) * 0x10000 + (groups[7] ?? 0));
      return out;
    }
    out += (groups[i] ?? 0).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Parses an IPv4 or IPv6 address (no mask, no port). Throws IpallocAddressError. */
export function parseIpAddress(text: string): IpAddress {
  if (!text.includes(':')) {
    const v4 = parseIpv4Words(text);
    if (v4 === undefined) throw new IpallocAddressError(text);
    return { family: 4, key: [0, 0, 0, v4], text: ipv4Text(v4) };
  }
  const groups = parseIpv6Groups(text);
  if (groups === undefined) throw new IpallocAddressError(text);
  const word = (i: number): number => (groups[2 * i] ?? 0) * 0x10000 + (groups[2 * i + 1] ?? 0);
  return { family: 6, key: [word(0), word(1), word(2), word(3)], text: ipv6Text(groups) };
}

/** Lexicographic comparison of two keys: negative, zero or positive. */
export function compareKeys(a: IpKey, b: IpKey): number {
  for (let i = 0; i < 4; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** A string that identifies a key exactly (for use as a Map key). */
export function keyId(key: IpKey): string {
  return `${key[0]}.${key[1]}.${key[2]}.${key[3]}`;
}

/** Same family and same address: how CTDB matches an address against a node's list. */
export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && compareKeys(a.key, b.key) === 0;
}
