// IPv4/IPv6 interface addresses through rtnetlink: list, find, add (with the broadcast
// address `brd +` would compute), delete, and wait out IPv6 duplicate address detection.
import { setTimeout as sleep } from 'node:timers/promises';
import { FlagsNew } from 'netlink';
import { toNetlinkError } from '../errors/index.js';
import {
  afOf,
  AF_INET,
  broadcastOf,
  bufferToIp,
  canonicalIp,
  ipFamily,
  ipToBuffer,
  InvalidAddressError,
  type Family,
} from './ip.js';
import { findLinkByIndex, getLink, listLinks } from './links.js';
import { nl } from './rtnl.js';

export interface AddressInfo {
  /** The address, canonical text. */
  readonly ip: string;
  readonly bits: number;
  readonly family: Family;
  readonly ifindex: number;
  /** The interface name (resolved from the index). */
  readonly iface: string;
  readonly tentative: boolean;
  readonly dadfailed: boolean;
  readonly secondary: boolean;
}

export interface ListAddressOptions {
  readonly family?: Family;
  readonly iface?: string;
}

interface RawAddress {
  readonly ip: string;
  readonly bits: number;
  readonly family: Family;
  readonly ifindex: number;
  /** IPv4 only: the address label, which is the interface name unless an alias was given. */
  readonly label: string | undefined;
  readonly tentative: boolean;
  readonly dadfailed: boolean;
  readonly secondary: boolean;
}

/** One dump of the kernel's addresses, without interface names. */
async function dumpAddresses(family: Family | undefined): Promise<RawAddress[]> {
  let messages;
  try {
    messages = await nl((s) =>
      s.getAddresses(family === undefined ? {} : { family: afOf(family) }),
    );
  } catch (err) {
    throw toNetlinkError(err, 'list addresses', family === undefined ? 'all' : `IPv${family}`);
  }
  const out: RawAddress[] = [];
  for (const m of messages) {
    const raw = m.attrs.local ?? m.attrs.address;
    if (raw === undefined) continue;
    const fam: Family = m.data.family === AF_INET ? 4 : 6;
    if (family !== undefined && fam !== family) continue;
    const flags = m.attrs.flags ?? m.data.flags ?? {};
    out.push({
      ip: bufferToIp(raw),
      bits: m.data.prefixlen ?? 0,
      family: fam,
      ifindex: m.data.index ?? 0,
      label: m.attrs.label,
      tentative: flags.tentative === true,
      dadfailed: flags.dadfailed === true,
      secondary: flags.secondary === true,
    });
  }
  return out;
}

/** Every address in this namespace, optionally only of one family or on one interface. */
export async function listAddresses(opts: ListAddressOptions = {}): Promise<AddressInfo[]> {
  const [raw, links] = await Promise.all([dumpAddresses(opts.family), listLinks()]);
  const names = new Map(links.map((l) => [l.index, l.name]));
  return raw
    .map(({ label: _label, ...a }) => ({ ...a, iface: names.get(a.ifindex) ?? '' }))
    .filter((a) => opts.iface === undefined || a.iface === opts.iface);
}

/**
 * Where IP is configured, like `ip addr show to IP/32` (or /128). With PREFER_IFACE, a copy on
 * that interface wins over one elsewhere. Undefined when the address is not configured.
 */
export async function findAddress(
  ip: string,
  preferIface?: string,
): Promise<AddressInfo | undefined> {
  const family = ipFamily(ip);
  if (family === undefined) throw new InvalidAddressError(ip);
  const want = canonicalIp(ip);
  const hits = (await dumpAddresses(family)).filter((a) => a.ip === want);
  if (hits.length === 0) return undefined;
  const named: AddressInfo[] = [];
  for (const { label, ...a } of hits) {
    // An IPv4 address's label is its interface's name unless an alias (`eth1:0`) was set.
    const iface =
      label !== undefined && !label.includes(':')
        ? label
        : ((await findLinkByIndex(a.ifindex))?.name ?? '');
    if (iface === preferIface || hits.length === 1) return { ...a, iface };
    named.push({ ...a, iface });
  }
  return named[0];
}

/**
 * Adds IP/BITS to IFACE (`ip addr add IP/BITS [brd +] dev IFACE`). Rejects with a
 * NetlinkError, e.g. errno EEXIST when the address is already there.
 */
export async function addAddress(
  iface: string,
  ip: string,
  bits: number,
  /** The interface's index when the caller already knows it (saves a lookup). */
  knownIndex?: number,
): Promise<void> {
  const family = ipFamily(ip);
  if (family === undefined) throw new InvalidAddressError(ip);
  const index = knownIndex ?? (await getLink(iface)).index;
  const local = ipToBuffer(ip);
  const brd = broadcastOf(ip, bits);
  try {
    await nl((s) =>
      s.newAddress(
        { family: afOf(family), prefixlen: bits, index },
        { local, address: local, ...(brd === undefined ? {} : { broadcast: brd }) },
        { flags: FlagsNew.CREATE | FlagsNew.EXCL },
      ),
    );
  } catch (err) {
    throw toNetlinkError(err, 'add address', `${ip}/${bits} dev ${iface}`);
  }
}

/** Deletes IP/BITS from IFACE. Rejects with NetlinkError (EADDRNOTAVAIL when absent). */
export async function deleteAddress(
  iface: string,
  ip: string,
  bits: number,
  /** The interface's index when the caller already knows it (saves a lookup). */
  knownIndex?: number,
): Promise<void> {
  const family = ipFamily(ip);
  if (family === undefined) throw new InvalidAddressError(ip);
  const index = knownIndex ?? (await getLink(iface)).index;
  const local = ipToBuffer(ip);
  try {
    await nl((s) =>
      s.delAddress({ family: afOf(family), prefixlen: bits, index }, { local, address: local }),
    );
  } catch (err) {
    throw toNetlinkError(err, 'delete address', `${ip}/${bits} dev ${iface}`);
  }
}

export type DadResult = 'ok' | 'tentative' | 'dadfailed' | 'missing';

/**
 * Waits while an IPv6 address is tentative (duplicate address detection running): up to
 * TRIES checks HALF_SECOND apart, as CTDB does (10 × 0.5 s), then reports how it ended.
 */
export async function waitForDad(
  ip: string,
  opts: { tries?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<DadResult> {
  const tries = opts.tries ?? 10;
  for (let i = 0; i < tries; i++) {
    const a = await findAddress(ip);
    if (a === undefined || !a.tentative) break;
    await sleep(opts.intervalMs ?? 500, undefined, opts.signal ? { signal: opts.signal } : {});
  }
  const a = await findAddress(ip);
  if (a === undefined) return 'missing';
  if (a.dadfailed) return 'dadfailed';
  if (a.tentative) return 'tentative';
  return 'ok';
}
