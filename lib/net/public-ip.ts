// Hosting and dropping a public address the way CTDB's functions do (add_ip_to_iface,
// delete_ip_from_iface, ip_maskbits_iface, drop_ip), with CTDB's messages. Output lines go to
// PRINT; "die" cases throw ScriptExit.
import { NetlinkError, ScriptExit, strerror } from '../errors/index.js';
import { setProc } from '../system/proc.js';
import { addAddress, deleteAddress, findAddress, waitForDad } from './addresses.js';
import { ipFamily } from './ip.js';
import { getLink, setLinkUp } from './links.js';

/**
 * What `ip addr add|del` prints for a rejected request: the kernel's extended-ack text where
 * it gives one (the `netlink` package drops that text, so the common ones are known here),
 * else iproute2's generic line.
 */
function iproute2Message(op: 'add' | 'del', ip: string, errno: string): string {
  const v6 = ipFamily(ip) === 6;
  if (op === 'add' && errno === 'EEXIST')
    return v6 ? 'Error: ipv6: address already assigned.' : 'Error: ipv4: Address already assigned.';
  if (op === 'del' && errno === 'EADDRNOTAVAIL')
    return v6 ? 'Error: ipv6: address not found.' : 'Error: ipv4: Address not found.';
  return `RTNETLINK answers: ${strerror(errno)}`;
}

export interface PublicIpOptions {
  readonly print: (line: string) => void;
  readonly signal?: AbortSignal;
  /** The interface's index, when the caller has it already (one netlink request fewer). */
  readonly ifindex?: number;
}

/**
 * Brings IFACE up and adds IP/BITS to it; for IPv6 waits out duplicate address detection.
 * Returns false (after printing CTDB's message) when the address could not be added.
 */
export async function addIpToIface(
  iface: string,
  ip: string,
  bits: number,
  opts: PublicIpOptions,
): Promise<boolean> {
  let index: number;
  try {
    const link = await getLink(iface);
    index = link.index;
    if (!link.up) await setLinkUp(iface);
  } catch {
    throw new ScriptExit(`Failed to bringup interface ${iface}`);
  }
  const failed = `Failed to add ${ip}/${bits} on dev ${iface}`;
  try {
    await addAddress(iface, ip, bits, index);
  } catch (err) {
    if (!(err instanceof NetlinkError)) throw err;
    opts.print(iproute2Message('add', ip, err.errno));
    opts.print(failed);
    return false;
  }
  if (ipFamily(ip) === 6) {
    const dad = await waitForDad(ip, opts.signal === undefined ? {} : { signal: opts.signal });
    if (dad === 'missing') {
      opts.print(failed);
      return false;
    }
    if (dad !== 'ok') {
      opts.print(failed);
      await deleteAddress(iface, ip, bits).catch(() => undefined);
      return false;
    }
  }
  return true;
}

/**
 * Removes IP/BITS from IFACE, first making sure a secondary address on the same subnet gets
 * promoted rather than removed with it. Returns false after printing CTDB's message on failure.
 */
export async function deleteIpFromIface(
  iface: string,
  ip: string,
  bits: number,
  opts: PublicIpOptions,
): Promise<boolean> {
  // Set per interface, each time: cheaper than remembering and re-adding secondaries.
  if (ipFamily(ip) === 4) {
    await setProc(`sys/net/ipv4/conf/${iface}/promote_secondaries`, 1).catch(() => undefined);
  }
  try {
    await deleteAddress(iface, ip, bits, opts.ifindex);
  } catch (err) {
    if (!(err instanceof NetlinkError)) throw err;
    opts.print(iproute2Message('del', ip, err.errno));
    opts.print(`Failed to del ${ip} on dev ${iface}`);
    return false;
  }
  return true;
}

/** Where IP is hosted: its mask bits and interface (preferring PREFER_IFACE), or undefined. */
export async function ipMaskbitsIface(
  ip: string,
  preferIface?: string,
): Promise<{ bits: number; iface: string; ifindex: number } | undefined> {
  const a = await findAddress(ip, preferIface);
  return a === undefined ? undefined : { bits: a.bits, iface: a.iface, ifindex: a.ifindex };
}

/** CTDB's drop_ip: if ADDR[/BITS] is hosted, say so and remove it, ignoring failures. */
export async function dropIp(addr: string, print: (line: string) => void): Promise<void> {
  const ip = addr.split('/')[0]!;
  if (ipFamily(ip) === undefined) return;
  const where = await ipMaskbitsIface(ip);
  if (where === undefined) return;
  print(`Removing public address ${ip}/${where.bits} from device ${where.iface}`);
  await deleteIpFromIface(where.iface, ip, where.bits, {
    print: () => undefined,
    ifindex: where.ifindex,
  });
}
