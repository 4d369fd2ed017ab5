// Is a public interface usable? CTDB's `interface_monitor`, answered from netlink (carrier)
// and /proc/net/bonding instead of `ip link` + `ethtool`, with CTDB's messages.
import { readBondStatus } from './bonding.js';
import { findLink, findLinkByIndex, setLinkUp, type LinkInfo } from './links.js';

export type InterfaceStatus =
  { readonly up: true } | { readonly up: false; readonly message: string };

/**
 * The interface CTDB treats as "real" for a link: for one shown as `name@parent` (a VLAN) the
 * parent; otherwise the name up to its first dot.
 */
export async function realInterfaceName(link: LinkInfo): Promise<string> {
  if (link.parentIndex !== undefined && link.parentIndex !== link.index) {
    const parent = await findLinkByIndex(link.parentIndex);
    // A parent in another namespace is shown by `ip` as `if<N>`.
    return parent?.name ?? `if${link.parentIndex}`;
  }
  return link.name.split('.')[0]!;
}

export async function interfaceMonitor(iface: string): Promise<InterfaceStatus> {
  const link = await findLink(iface);
  if (link === undefined)
    return { up: false, message: `ERROR: Monitored interface ${iface} does not exist` };

  const real = await realInterfaceName(link);
  const bond = await readBondStatus(real);
  if (bond !== undefined) {
    if (bond.activeSlave === 'None')
      return { up: false, message: `ERROR: No active slaves for bond device ${real}` };
    if (!bond.miiUp)
      return { up: false, message: `ERROR: public network interface ${real} is down` };
    if (bond.is8023ad && !bond.slaveMiiUp.some((up) => up))
      return { up: false, message: `ERROR: No active slaves for 802.ad bond device ${real}` };
    return { up: true };
  }

  // Loopback always works; CTDB does not know how to test InfiniBand links.
  if (iface.startsWith('lo') || iface.startsWith('ib')) return { up: true };
  if (hasLink(link)) return { up: true };
  // A plugged cable may show no link until the interface is brought up once.
  await setLinkUp(iface).catch(() => undefined);
  const again = await findLink(iface);
  if (again !== undefined && hasLink(again)) return { up: true };
  return { up: false, message: `ERROR: No link on the public network interface ${iface}` };
}

/** What `ethtool` reports as "Link detected: yes": the device is up and has carrier. */
function hasLink(link: LinkInfo): boolean {
  return link.up && link.carrier;
}
