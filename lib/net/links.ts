// Network links through rtnetlink: name, index, admin state, carrier and operstate — what
// `ip link show` and `ethtool … Link detected` tell CTDB's scripts.
import type { RtNetlinkSocket } from 'netlink';
import { NoSuchInterfaceError, toNetlinkError } from '../errors/index.js';
import { nl } from './rtnl.js';

type LinkMessage = Awaited<ReturnType<RtNetlinkSocket['getLinks']>>[number];

/** RFC 2863 operational states, as IFLA_OPERSTATE numbers them. */
export const OPERSTATES = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
] as const;
export type OperState = (typeof OPERSTATES)[number];

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** The physical layer reports a link (IFLA_CARRIER): what ethtool calls "Link detected". */
  readonly carrier: boolean;
  readonly operstate: OperState;
  readonly loopback: boolean;
  /** The index of the link this one sits on (a VLAN's parent, a veth's peer), if any. */
  readonly parentIndex: number | undefined;
  /** The index of the bond or bridge this link is enslaved to, if any. */
  readonly masterIndex: number | undefined;
}

function toLinkInfo(m: LinkMessage): LinkInfo {
  const a = m.attrs;
  const parent = a.link;
  return {
    index: m.data.index ?? 0,
    name: a.ifname ?? '',
    up: m.data.flags?.up === true,
    carrier: a.carrier === 1,
    operstate: OPERSTATES[a.operstate ?? 0] ?? 'unknown',
    loopback: m.data.flags?.loopback === true,
    parentIndex: parent !== undefined && parent.length >= 4 ? parent.readUInt32LE(0) : undefined,
    masterIndex: a.master,
  };
}

export async function listLinks(): Promise<LinkInfo[]> {
  try {
    return (await nl((s) => s.getLinks())).map(toLinkInfo);
  } catch (err) {
    throw toNetlinkError(err, 'list links', 'all');
  }
}

/** The link called NAME, or undefined if there is none. */
export async function findLink(name: string): Promise<LinkInfo | undefined> {
  try {
    const found = await nl((s) => s.getLink({}, { ifname: name }));
    return found[0] === undefined ? undefined : toLinkInfo(found[0]);
  } catch (err) {
    const e = toNetlinkError(err, 'get link', name);
    if (e.errno === 'ENODEV' || e.errno === 'EINVAL') return undefined;
    throw e;
  }
}

/** The link called NAME; throws NoSuchInterfaceError if there is none. */
export async function getLink(name: string): Promise<LinkInfo> {
  const link = await findLink(name);
  if (link === undefined) throw new NoSuchInterfaceError(name);
  return link;
}

/** The link with index INDEX, or undefined. */
export async function findLinkByIndex(index: number): Promise<LinkInfo | undefined> {
  try {
    const found = await nl((s) => s.getLink({ index }));
    return found[0] === undefined ? undefined : toLinkInfo(found[0]);
  } catch {
    return undefined;
  }
}

/** `ip link set NAME up`. */
export async function setLinkUp(name: string, up = true): Promise<void> {
  const link = await getLink(name);
  try {
    await nl((s) =>
      s.setLink({ index: link.index, flags: up ? { up: true } : {}, change: { up: true } }),
    );
  } catch (err) {
    throw toNetlinkError(err, up ? 'set link up' : 'set link down', name);
  }
}

/** An interface name as the index the kernel knows it by; throws NoSuchInterfaceError. */
export async function ifindexOf(name: string): Promise<number> {
  return (await getLink(name)).index;
}
