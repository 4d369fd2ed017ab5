// One announcement of an address: gratuitous ARP (IPv4) or unsolicited neighbour
// advertisement (IPv6), chosen by the address family.
import { parseIp } from '../tcp/address.js';
import { TcpError } from '../tcp/errors.js';
import { rawnet } from '../tcp/native.js';

/**
 * Announces that `ip` is now reachable through `iface`'s MAC address. IPv4: an ARP request
 * then an ARP reply, both broadcast (some hosts only heed one form). IPv6: a neighbour
 * advertisement with the override flag to all nodes. Returns false when nothing was sent
 * because `iface` is a loopback device. Throws RawNetError (e.g. ENODEV, EPERM).
 */
export function sendGratuitousArp(iface: string, ip: string): boolean {
  const addr = parseIp(ip);
  if (addr === undefined) throw new TcpError(`not an IP address: ${JSON.stringify(ip)}`);
  if (addr.family === 6) return rawnet.sendNeighbourAdvert(iface, addr.bytes);
  const sent = rawnet.sendArp(iface, addr.bytes, false);
  if (sent) rawnet.sendArp(iface, addr.bytes, true);
  return sent;
}
