// A node's public addresses: the `public_addresses` file, the interfaces it names (with link
// state and reference counts) and the per-address state (VNN) the daemon keeps.
import { readFile } from 'node:fs/promises';
import { NODE_FLAGS_DISABLED, NODE_FLAGS_INACTIVE, Runstate } from '../protocol/index.js';
import { parseIpAddress, type IpAddress } from './ipalloc/index.js';
import { PublicAddressesError, TakeoverRequestError } from './errors.js';

/** One usable line of public_addresses. */
export interface PublicAddressEntry {
  readonly address: IpAddress;
  readonly maskBits: number;
  /** Configured interfaces, in file order (the first wins ties). */
  readonly ifaces: readonly string[];
  readonly line: number;
}

const IFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Parses one `ADDR/BITS IFACE[,IFACE…]` specification; throws TakeoverRequestError. */
export function parseAddressSpec(
  addrMask: string,
  ifaceList: string | undefined,
): Omit<PublicAddressEntry, 'line'> {
  const slash = addrMask.indexOf('/');
  if (slash < 0) throw new TakeoverRequestError(`missing /MASK in '${addrMask}'`);
  let address: IpAddress;
  try {
    address = parseIpAddress(addrMask.slice(0, slash));
  } catch {
    throw new TakeoverRequestError(`bad address '${addrMask.slice(0, slash)}'`);
  }
  const bitsText = addrMask.slice(slash + 1);
  const maskBits = Number(bitsText);
  const maxBits = address.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(bitsText) || maskBits > maxBits) {
    throw new TakeoverRequestError(`bad mask '${bitsText}' in '${addrMask}'`);
  }
  if (ifaceList === undefined || ifaceList === '') {
    throw new TakeoverRequestError(`missing interface for ${addrMask}`);
  }
  const ifaces = ifaceList.split(',');
  for (const name of ifaces) {
    if (!IFACE_NAME.test(name)) throw new TakeoverRequestError(`bad interface name '${name}'`);
  }
  return { address, maskBits, ifaces: [...new Set(ifaces)] };
}

/** Parses the text of public_addresses; `file` names the source in errors. */
export function parsePublicAddresses(text: string, file: string): PublicAddressEntry[] {
  const out: PublicAddressEntry[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    if (fields.length > 2) {
      throw new PublicAddressesError(file, line, `unexpected text '${fields.slice(2).join(' ')}'`);
    }
    let entry: Omit<PublicAddressEntry, 'line'>;
    try {
      entry = parseAddressSpec(fields[0]!, fields[1]);
    } catch (e) {
      throw new PublicAddressesError(file, line, (e as Error).message);
    }
    if (seen.has(entry.address.text)) {
      throw new PublicAddressesError(file, line, `duplicate address ${entry.address.text}`);
    }
    seen.add(entry.address.text);
    out.push({ ...entry, line });
  });
  return out;
}

/** Reads public_addresses; a missing file means no public addresses. */
export async function loadPublicAddresses(file: string): Promise<PublicAddressEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PublicAddressesError(file, 0, (e as Error).message);
  }
  return parsePublicAddresses(text, file);
}

export interface InterfaceState {
  readonly name: string;
  linkUp: boolean;
  /** Addresses currently assigned to this interface. */
  references: number;
}

/** The owner value meaning "nobody" (printed -1). */
export const NO_OWNER = -1;

/** Per-address state on one node (CTDB's ctdb_vnn). */
export interface Vnn {
  readonly address: IpAddress;
  readonly maskBits: number;
  /** Configured interfaces in configuration order. */
  readonly ifaces: readonly InterfaceState[];
  /** This node's belief about the owner; -1 = unassigned. */
  pnn: number;
  /** The interface holding the address here, only while hosted here. */
  iface: InterfaceState | undefined;
  deletePending: boolean;
  updateInFlight: boolean;
}

/** The local node's view used by the availability rule. */
export interface LocalNodeState {
  readonly runstate: number;
  readonly flags: number;
  /**
   * Still in recovery mode ACTIVE (e.g. just unbanned, not yet re-admitted by a recovery):
   * such a node refuses takeip, so it must not be offered addresses.
   */
  readonly inRecovery?: boolean;
}

/** Interfaces and VNNs of one node. */
export class PublicAddressTable {
  private readonly interfaces = new Map<string, InterfaceState>();
  /** CTDB prepends, so this is the reverse of file order; tools sort for display. */
  private list: Vnn[] = [];

  constructor(entries: readonly PublicAddressEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  get vnns(): readonly Vnn[] {
    return this.list;
  }

  /** Interfaces in creation order (the order CTDB lists them in GET_IFACES is newest first). */
  get ifaces(): readonly InterfaceState[] {
    return [...this.interfaces.values()].reverse();
  }

  iface(name: string): InterfaceState | undefined {
    return this.interfaces.get(name);
  }

  private ifaceFor(name: string): InterfaceState {
    let i = this.interfaces.get(name);
    if (i === undefined) {
      i = { name, linkUp: true, references: 0 };
      this.interfaces.set(name, i);
    }
    return i;
  }

  find(address: string): Vnn | undefined {
    let text: string;
    try {
      text = parseIpAddress(address).text;
    } catch {
      return undefined;
    }
    return this.list.find((v) => v.address.text === text);
  }

  /** Adds a VNN; an address already present is an error. */
  add(entry: Omit<PublicAddressEntry, 'line'>): Vnn {
    if (this.find(entry.address.text) !== undefined) {
      throw new TakeoverRequestError(`address ${entry.address.text} already configured`);
    }
    const vnn: Vnn = {
      address: entry.address,
      maskBits: entry.maskBits,
      ifaces: entry.ifaces.map((n) => this.ifaceFor(n)),
      pnn: NO_OWNER,
      iface: undefined,
      deletePending: false,
      updateInFlight: false,
    };
    this.list.unshift(vnn);
    return vnn;
  }

  remove(vnn: Vnn): void {
    this.unassign(vnn);
    this.list = this.list.filter((v) => v !== vnn);
  }

  assign(vnn: Vnn, iface: InterfaceState): void {
    if (vnn.iface === iface) return;
    this.unassign(vnn);
    vnn.iface = iface;
    iface.references++;
  }

  unassign(vnn: Vnn): void {
    if (vnn.iface !== undefined) {
      vnn.iface.references = Math.max(0, vnn.iface.references - 1);
      vnn.iface = undefined;
    }
  }

  /** Sets an interface's link; returns whether it changed. Unknown name → error. */
  setLink(name: string, up: boolean): boolean {
    const i = this.interfaces.get(name);
    if (i === undefined) throw new TakeoverRequestError(`interface '${name}' not found`);
    const changed = i.linkUp !== up;
    i.linkUp = up;
    return changed;
  }

  /**
   * The best interface for a VNN: link up, fewest references, first in configuration order on
   * ties. Undefined when every configured interface is down.
   */
  bestIface(vnn: Vnn): InterfaceState | undefined {
    let best: InterfaceState | undefined;
    for (const i of vnn.ifaces) {
      if (!i.linkUp) continue;
      if (best === undefined || i.references < best.references) best = i;
    }
    return best;
  }

  /** Whether the node may host this VNN now (GET_PUBLIC_IPS with ONLY_AVAILABLE). */
  isAvailable(vnn: Vnn, node: LocalNodeState): boolean {
    if (node.runstate !== Runstate.RUNNING || node.inRecovery === true) return false;
    if ((node.flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DISABLED)) !== 0) return false;
    if (vnn.deletePending) return false;
    return vnn.ifaces.some((i) => i.linkUp);
  }
}
