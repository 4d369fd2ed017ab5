// The `$CTDB_BASE/public_addresses` file: one public address per line, `ADDR/BITS IFACE[,IFACE…]`,
// `#` comments and blank lines ignored. A malformed line is a ConfigFileError naming the file
// and line.
import { readFile } from 'node:fs/promises';
import { ConfigFileError } from '../errors/index.js';
import { canonicalIp, ipFamily, maxBits } from '../net/ip.js';

export interface PublicAddress {
  readonly ip: string;
  readonly bits: number;
  /** The interfaces the address may be hosted on. */
  readonly ifaces: readonly string[];
  /** 1-based line number in the file. */
  readonly line: number;
}

const IFACE_NAME = /^[^\s,/]{1,15}$/;

export function parsePublicAddresses(text: string, file: string): PublicAddress[] {
  const out: PublicAddress[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const [prefix = '', ifaceField, ...extra] = t.split(/\s+/);
    if (extra.length > 0)
      throw new ConfigFileError(file, line, `unexpected text after the interfaces: '${t}'`);
    const m = /^([^/]+)\/(\d+)$/.exec(prefix);
    if (m === null) throw new ConfigFileError(file, line, `'${prefix}' is not ADDRESS/MASKBITS`);
    const family = ipFamily(m[1]!);
    if (family === undefined)
      throw new ConfigFileError(file, line, `'${m[1]}' is not an IP address`);
    const bits = Number(m[2]);
    if (bits > maxBits(family))
      throw new ConfigFileError(file, line, `mask bits ${bits} too large for '${m[1]}'`);
    if (ifaceField === undefined)
      throw new ConfigFileError(file, line, `no interface given for ${prefix}`);
    const ifaces = ifaceField.split(',');
    for (const name of ifaces) {
      if (!IFACE_NAME.test(name))
        throw new ConfigFileError(file, line, `'${name}' is not an interface name`);
    }
    const ip = canonicalIp(m[1]!);
    const dup = seen.get(ip);
    if (dup !== undefined)
      throw new ConfigFileError(file, line, `${ip} is already listed at line ${dup}`);
    seen.set(ip, line);
    out.push({ ip, bits, ifaces, line });
  });
  return out;
}

/** Reads and parses FILE; undefined when it does not exist. */
export async function readPublicAddresses(file: string): Promise<PublicAddress[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new ConfigFileError(file, 0, `cannot be read: ${(err as Error).message}`);
  }
  return parsePublicAddresses(text, file);
}
