// IP address text <-> bytes, in the forms CTDB reads and prints: dotted IPv4, RFC 5952 IPv6
// (what inet_ntop prints), and IPv4-mapped IPv6 folded to IPv4 as CTDB's parser does.
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Buffer;
}

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** Parses an address; returns undefined if it is not one. `[v6]` brackets are accepted. */
export function parseIp(text: string): IpAddress | undefined {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (isIPv4(t)) return { family: 4, bytes: Buffer.from(t.split('.').map(Number)) };
  if (!isIPv6(t) || t.includes('%')) return undefined;
  const bytes = ipv6Bytes(t);
  if (bytes.subarray(0, 12).equals(MAPPED_PREFIX)) {
    return { family: 4, bytes: Buffer.from(bytes.subarray(12)) };
  }
  return { family: 6, bytes };
}

// `t` is already known to be valid IPv6 text (net.isIPv6), possibly with a dotted IPv4 tail.
function ipv6Bytes(t: string): Buffer {
  let text = t;
  const words: number[] = [];
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, -dotted[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::');
  const hex = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const left = hex(head);
  const right = rest === undefined ? [] : hex(rest);
  const fill = 8 - left.length - right.length - tail.length;
  words.push(
    ...left,
    ...new Array<number>(rest === undefined ? 0 : fill).fill(0),
    ...right,
    ...tail,
  );
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** Formats 4 or 16 bytes as inet_ntop would. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16)
    throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const b = Buffer.from(bytes);
  if (b.subarray(0, 12).equals(MAPPED_PREFIX))
    return `::ffff:${Array.from(b.subarray(12)).join('.')}`;
  const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // The longest run of two or more zero words becomes `::` (the first one on ties).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** The canonical text of an address (IPv4-mapped IPv6 folded to IPv4), or undefined. */
export function canonicalIp(text: string): string | undefined {
  const a = parseIp(text);
  return a === undefined ? undefined : formatIp(a.bytes);
}
