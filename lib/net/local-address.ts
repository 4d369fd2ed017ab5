// "Is this address on one of our interfaces?" in one rtnetlink dump through the rawnet addon,
// for callers that ask often and need nothing else from netlink (ctdbd checks its public
// addresses every second). It does not load the netlink package that the rest of lib/net uses.
import { parseIp } from '../tcp/address.js';
import { rawnet } from '../tcp/native.js';
import { InvalidAddressError } from '../errors/index.js';

/** True when some interface of the current network namespace holds `ip` (IPv4 or IPv6). */
export function holdsAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === undefined) throw new InvalidAddressError(ip);
  return rawnet.hasAddress(parsed.bytes);
}
