// The daemon side of the public-IP controls: each method takes the decoded control arguments
// and does what ctdbd 4.17 does for that control. The daemon supplies the world through small
// interfaces (event scripts, the kernel's address list, announcements, its own identity and
// local clients), so this module runs without a daemon in tests.
import {
  Runstate,
  Srvid,
  cStringBytes,
  sockAddr,
  type Iface,
  type PublicIp,
  type SockAddr,
} from '../protocol/index.js';
import type { Connection as TcpConnection } from '../../lib/tcp/index.js';
import { TakeoverEventError, TakeoverRequestError, TakeoverStateError } from './errors.js';
import {
  NO_OWNER,
  PublicAddressTable,
  loadPublicAddresses,
  parseAddressSpec,
  type LocalNodeState,
  type Vnn,
} from './public-addresses.js';
import type { AddrInfo, Connection, PublicIpInfo, TickleList } from './wire.js';

/** The IP events this module runs; the daemon backs it with the event daemon. */
export type IpEvent = 'takeip' | 'releaseip' | 'updateip' | 'ipreallocated';

export interface EventRunner {
  /** Runs the event with its arguments; resolves with the status (0 = success, -ETIMEDOUT…). */
  run(event: IpEvent, args: readonly string[]): Promise<number>;
}

/** Whether an address is on some local interface. */
export interface KernelAddresses {
  /** False in CTDB_TEST_MODE: addresses are logical only and the kernel is never asked. */
  readonly checked: boolean;
  hasAddress(address: string): Promise<boolean>;
}

/** Gratuitous ARP / neighbour advertisement plus tickle ACKs, repeated; see lib/neighbours. */
export interface Announcer {
  /** Starts the schedule (3 rounds ~1.1 s apart); the handle stops it (on release). */
  start(iface: string, address: string, tickles: readonly TcpConnection[]): { stop(): void };
}

/** What the handlers need from the daemon. */
export interface NodeIpsHost {
  readonly pnn: number;
  /** Current runstate and own flags (availability rule). */
  localState(): LocalNodeState;
  /** Sends a message to the local clients registered on srvid (SRVID_RELEASE_IP, TAKE_IP…). */
  notifyLocalClients(srvid: bigint, data: Uint8Array): void;
  /** Bans this node (RecoveryBanPeriod), as ctdb_ban_self does. */
  banSelf(reason: string): void;
  /** Tells the other connected nodes about a tracked connection (TCP_ADD / TCP_REMOVE). */
  sendTcpUpdate(kind: 'add' | 'remove', conn: Connection): void;
}

export interface NodeIpsOptions {
  readonly events: EventRunner;
  readonly kernel: KernelAddresses;
  readonly announcer: Announcer;
  readonly host: NodeIpsHost;
  /** Path of public_addresses, for RELOAD_PUBLIC_IPS. */
  readonly publicAddressesFile?: string;
  readonly table?: PublicAddressTable;
}

function sameEndpoint(a: SockAddr, b: SockAddr): boolean {
  return a.family === b.family && a.address === b.address && a.port === b.port;
}

function sameConnection(a: Connection, b: Connection): boolean {
  return sameEndpoint(a.src, b.src) && sameEndpoint(a.dst, b.dst);
}

function toTcpConnection(c: Connection): TcpConnection {
  return {
    src: { ip: c.src.address, port: c.src.port },
    dst: { ip: c.dst.address, port: c.dst.port },
  };
}

/** Per-address list of known client connections (src = client, dst = the public address). */
class TickleStore {
  private readonly lists = new Map<string, Connection[]>();

  get(address: string): readonly Connection[] {
    return this.lists.get(address) ?? [];
  }

  add(address: string, conn: Connection): boolean {
    const list = this.lists.get(address) ?? [];
    if (list.some((c) => sameConnection(c, conn))) return false;
    list.push(conn);
    this.lists.set(address, list);
    return true;
  }

  remove(address: string, conn: Connection): boolean {
    const list = this.lists.get(address);
    if (list === undefined) return false;
    const i = list.findIndex((c) => sameConnection(c, conn));
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  replace(address: string, conns: readonly Connection[]): void {
    this.lists.set(address, [...conns]);
  }

  drop(address: string): void {
    this.lists.delete(address);
  }
}

export class NodeIps {
  readonly table: PublicAddressTable;
  readonly tickles = new TickleStore();
  private readonly announcements = new Map<string, { stop(): void }>();
  /** Addresses whose tickle list changed since the last periodic SET_TCP_TICKLE_LIST. */
  private readonly tickleUpdateNeeded = new Set<string>();

  constructor(private readonly opts: NodeIpsOptions) {
    this.table = opts.table ?? new PublicAddressTable();
  }

  /** Builds the handlers from a public_addresses file (missing file: no addresses). */
  static async fromFile(
    file: string,
    opts: Omit<NodeIpsOptions, 'table' | 'publicAddressesFile'>,
  ): Promise<NodeIps> {
    const table = new PublicAddressTable(await loadPublicAddresses(file));
    return new NodeIps({ ...opts, table, publicAddressesFile: file });
  }

  private get pnn(): number {
    return this.opts.host.pnn;
  }

  private stopAnnouncing(address: string): void {
    this.announcements.get(address)?.stop();
    this.announcements.delete(address);
  }

  private async runEvent(event: IpEvent, args: readonly string[]): Promise<void> {
    const status = await this.opts.events.run(event, args);
    if (status !== 0) throw new TakeoverEventError(event, status);
  }

  /** Whether the address is "held" here: on an interface, or (kernel unchecked) assigned one. */
  private async held(vnn: Vnn): Promise<boolean> {
    if (this.opts.kernel.checked) return this.opts.kernel.hasAddress(vnn.address.text);
    return vnn.iface !== undefined;
  }

  // ------------------------------------------------------------------------------------------
  // RELEASE_IP / TAKEOVER_IP

  /** RELEASE_IP {ip, pnn = the new owner}. */
  async releaseIp(ip: PublicIp): Promise<void> {
    const vnn = this.table.find(ip.addr.address);
    if (vnn === undefined) return; // not ours to know: success
    this.stopAnnouncing(vnn.address.text);
    if (!(await this.held(vnn))) {
      // Redundant release: only learn the new owner.
      vnn.pnn = ip.pnn;
      this.table.unassign(vnn);
      this.deleteIfPending(vnn);
      return;
    }
    if (vnn.updateInFlight) {
      throw new TakeoverStateError(`update of ${vnn.address.text} in flight, cannot release`);
    }
    const iface = vnn.iface?.name ?? vnn.ifaces[0]?.name ?? '';
    vnn.updateInFlight = true;
    try {
      await this.runEvent('releaseip', [iface, vnn.address.text, String(vnn.maskBits)]);
    } finally {
      vnn.updateInFlight = false;
    }
    if (this.opts.kernel.checked && (await this.opts.kernel.hasAddress(vnn.address.text))) {
      throw new TakeoverStateError(`${vnn.address.text} still on an interface after releaseip`);
    }
    vnn.pnn = ip.pnn;
    this.opts.host.notifyLocalClients(Srvid.RELEASE_IP, cStringBytes(vnn.address.text));
    this.table.unassign(vnn);
    this.deleteIfPending(vnn);
  }

  private deleteIfPending(vnn: Vnn): void {
    if (!vnn.deletePending) return;
    this.tickles.drop(vnn.address.text);
    this.table.remove(vnn);
  }

  /** TAKEOVER_IP {ip, pnn = this node}. */
  async takeoverIp(ip: PublicIp): Promise<void> {
    if (ip.pnn !== this.pnn) {
      throw new TakeoverRequestError(
        `takeover of ${ip.addr.address} for node ${ip.pnn} sent to node ${this.pnn}`,
      );
    }
    const vnn = this.table.find(ip.addr.address);
    if (vnn === undefined) return;
    if (vnn.updateInFlight) {
      throw new TakeoverStateError(`update of ${vnn.address.text} in flight, cannot take over`);
    }
    const best = this.table.bestIface(vnn);
    if (best === undefined) {
      throw new TakeoverStateError(`no usable interface for ${vnn.address.text}`);
    }
    const held = await this.held(vnn);
    if (held && vnn.pnn !== this.pnn && vnn.pnn !== NO_OWNER && this.opts.kernel.checked) {
      // Someone else is recorded as the owner, yet the address is here: a split brain.
      this.opts.host.banSelf(`${vnn.address.text} held here but owned by node ${vnn.pnn}`);
      throw new TakeoverStateError(`${vnn.address.text} is already hosted by node ${vnn.pnn}`);
    }
    const current = vnn.iface;
    // On an interface already but unknown to the VNN: re-add it cleanly via updateip.
    let update = held && vnn.pnn === NO_OWNER && this.opts.kernel.checked;
    if (current !== undefined && current !== best) {
      // Only move when the old interface is down or the move gains something.
      if (!current.linkUp || current.references > best.references + 1) update = true;
    }
    const args = [vnn.address.text, String(vnn.maskBits)];
    if (held && !update) {
      vnn.pnn = this.pnn; // redundant takeover: nothing to do
      return;
    }
    vnn.updateInFlight = true;
    try {
      if (held && current !== undefined && current !== best) {
        await this.runEvent('updateip', [current.name, best.name, ...args]);
        this.table.assign(vnn, best);
      } else {
        if (!held) this.table.unassign(vnn);
        const target = current !== undefined && held ? current : best;
        this.table.assign(vnn, target);
        try {
          await this.runEvent('takeip', [target.name, ...args]);
        } catch (e) {
          this.table.unassign(vnn);
          throw e;
        }
      }
    } finally {
      vnn.updateInFlight = false;
    }
    vnn.pnn = this.pnn;
    this.announce(vnn);
    this.opts.host.notifyLocalClients(Srvid.TAKE_IP, cStringBytes(vnn.address.text));
  }

  private announce(vnn: Vnn): void {
    const iface = vnn.iface;
    if (iface === undefined) return;
    this.stopAnnouncing(vnn.address.text);
    const tickles = this.tickles.get(vnn.address.text).map(toTcpConnection);
    try {
      const handle = this.opts.announcer.start(iface.name, vnn.address.text, tickles);
      this.announcements.set(vnn.address.text, handle);
    } catch {
      // No raw socket (no CAP_NET_RAW) must not fail the takeover; CTDB only logs it.
    }
  }

  /** Number of announcement schedules still running (tests, diagnostics). */
  get announcing(): number {
    return this.announcements.size;
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  /** GET_PUBLIC_IPS, with the ONLY_AVAILABLE flag as `onlyAvailable`. */
  getPublicIps(onlyAvailable: boolean): PublicIp[] {
    const local = this.opts.host.localState();
    return this.table.vnns
      .filter((v) => !onlyAvailable || this.table.isAvailable(v, local))
      .map((v) => ({ pnn: v.pnn >>> 0, addr: sockAddr(v.address.text) }));
  }

  /** GET_PUBLIC_IP_INFO. */
  getPublicIpInfo(addr: SockAddr): PublicIpInfo {
    const vnn = this.table.find(addr.address);
    if (vnn === undefined) {
      throw new TakeoverRequestError(`'${addr.address}' is not a public address`);
    }
    const idx = vnn.iface === undefined ? -1 : vnn.ifaces.indexOf(vnn.iface);
    return {
      ip: { pnn: vnn.pnn >>> 0, addr: sockAddr(vnn.address.text) },
      activeIdx: idx < 0 ? 0xffffffff : idx,
      ifaces: vnn.ifaces.map((i) => ({
        name: i.name,
        linkState: i.linkUp ? 1 : 0,
        references: i.references,
      })),
    };
  }

  /** GET_IFACES. */
  getIfaces(): Iface[] {
    return this.table.ifaces.map((i) => ({
      name: i.name,
      linkState: i.linkUp ? 1 : 0,
      references: i.references,
    }));
  }

  /** SET_IFACE_LINK_STATE; returns whether the link changed. */
  setIfaceLinkState(iface: Iface): boolean {
    if (iface.linkState !== 0 && iface.linkState !== 1) {
      throw new TakeoverRequestError(`link_state ${iface.linkState} invalid`);
    }
    if (iface.references !== 0) {
      throw new TakeoverRequestError(`references ${iface.references} should be 0`);
    }
    return this.table.setLink(iface.name, iface.linkState === 1);
  }

  // ------------------------------------------------------------------------------------------
  // Runtime changes

  /** ADD_PUBLIC_IP. */
  addPublicIp(info: AddrInfo): void {
    const entry = parseAddressSpec(`${info.addr.address}/${info.mask}`, info.iface);
    this.table.add(entry);
  }

  /** DEL_PUBLIC_IP: immediate when not hosted here, else deferred to the next takeover run. */
  delPublicIp(info: AddrInfo): void {
    const vnn = this.table.find(info.addr.address);
    if (vnn === undefined) {
      throw new TakeoverRequestError(`'${info.addr.address}' is not a public address`);
    }
    if (vnn.pnn === this.pnn) {
      vnn.deletePending = true;
    } else {
      this.tickles.drop(vnn.address.text);
      this.table.remove(vnn);
    }
  }

  /**
   * RELOAD_PUBLIC_IPS: re-read the file; add new addresses, delete vanished ones (releasing
   * those hosted here first). Mask or interface changes of existing addresses are ignored.
   */
  async reloadPublicIps(): Promise<void> {
    const file = this.opts.publicAddressesFile;
    if (file === undefined) throw new TakeoverRequestError('no public_addresses file configured');
    const entries = await loadPublicAddresses(file);
    const wanted = new Set(entries.map((e) => e.address.text));
    for (const vnn of [...this.table.vnns]) {
      if (wanted.has(vnn.address.text)) continue;
      if (vnn.pnn === this.pnn) {
        await this.releaseIp({ pnn: NO_OWNER >>> 0, addr: sockAddr(vnn.address.text) });
      }
      this.tickles.drop(vnn.address.text);
      this.table.remove(vnn);
    }
    for (const e of entries) {
      if (this.table.find(e.address.text) === undefined) this.table.add(e);
    }
  }

  /** SEND_GRATUITOUS_ARP: announce once-scheduled (3 rounds), without tickles. */
  sendGratuitousArp(info: AddrInfo): void {
    // Runs its three rounds to the end; nothing stops an explicit `ctdb gratarp`.
    this.opts.announcer.start(info.iface, info.addr.address, []);
  }

  /** IPREALLOCATED: run the event; a timeout bans this node. Then tell local clients. */
  async ipreallocated(): Promise<void> {
    const local = this.opts.host.localState();
    if (local.runstate < Runstate.STARTUP) return;
    const status = await this.opts.events.run('ipreallocated', []);
    if (status !== 0) {
      if (status === -62 /* -ETIMEDOUT */) this.opts.host.banSelf('ipreallocated timed out');
      throw new TakeoverEventError('ipreallocated', status);
    }
    this.opts.host.notifyLocalClients(Srvid.IPREALLOCATED, new Uint8Array(0));
  }

  // ------------------------------------------------------------------------------------------
  // TCP connection tracking (tickles)

  /** TCP_CLIENT from a local client (smbd): track it and tell the other nodes. */
  tcpClient(conn: Connection): void {
    this.tcpAdd(conn, true);
    this.opts.host.sendTcpUpdate('add', conn);
  }

  /** TCP_ADD (and TCP_ADD_DELAYED_UPDATE with updateNeeded). dst must be a public address. */
  tcpAdd(conn: Connection, updateNeeded = false): void {
    if (this.table.vnns.length === 0) return;
    const vnn = this.table.find(conn.dst.address);
    if (vnn === undefined) {
      throw new TakeoverRequestError(`'${conn.dst.address}' is not a public address`);
    }
    if (this.tickles.add(vnn.address.text, conn) && updateNeeded) {
      this.tickleUpdateNeeded.add(vnn.address.text);
    }
  }

  /** TCP_REMOVE. Unknown connections are ignored. */
  tcpRemove(conn: Connection): void {
    const vnn = this.table.find(conn.dst.address);
    if (vnn === undefined) return;
    if (this.tickles.remove(vnn.address.text, conn)) this.tickleUpdateNeeded.add(vnn.address.text);
  }

  /** GET_TCP_TICKLE_LIST; addr.port ≠ 0 keeps only connections to that port. */
  getTcpTickleList(addr: SockAddr): TickleList {
    const vnn = this.table.find(addr.address);
    if (vnn === undefined) {
      throw new TakeoverRequestError(`'${addr.address}' is not a public address`);
    }
    const all = this.tickles.get(vnn.address.text);
    const connections = addr.port === 0 ? all : all.filter((c) => c.dst.port === addr.port);
    return { addr, connections };
  }

  /**
   * SET_TCP_TICKLE_LIST from the hosting node. Returns 1 (CTDB's status) for an unknown
   * address, 0 otherwise; ignored when this node hosts the address.
   */
  setTcpTickleList(list: TickleList): 0 | 1 {
    const vnn = this.table.find(list.addr.address);
    if (vnn === undefined) return 1;
    if (vnn.pnn === this.pnn) return 0;
    this.tickles.replace(vnn.address.text, list.connections);
    return 0;
  }

  /**
   * The tickle lists this node should push to all connected nodes (every TickleUpdateInterval,
   * or all of them on a peer's STARTUP): the hosted addresses whose list changed, or all hosted.
   */
  tickleListsToSend(all: boolean): TickleList[] {
    const out: TickleList[] = [];
    for (const vnn of this.table.vnns) {
      if (vnn.pnn !== this.pnn) continue;
      if (!all && !this.tickleUpdateNeeded.has(vnn.address.text)) continue;
      out.push({
        addr: sockAddr(vnn.address.text),
        connections: this.tickles.get(vnn.address.text),
      });
      this.tickleUpdateNeeded.delete(vnn.address.text);
    }
    return out;
  }

  /** Stops every announcement (daemon shutdown). */
  close(): void {
    for (const a of this.announcements.values()) a.stop();
    this.announcements.clear();
  }
}
