// The public-IP commands of `ctdb` (ip, ipinfo, ifaces, setifacelink, moveip, addip, delip,
// reloadips, ipreallocate/sync, gratarp, tickle, gettickles, addtickle, deltickle,
// checktcpport) with CTDB 4.17's output, machine output (-X/-Y), exit codes and usage errors.
import { createServer } from 'node:net';
import { canonicalIp } from '../../lib/tcp/address.js';
import { parseEndpoint } from '../../lib/tcp/connection.js';
import { ClientError, Errno } from '../client/errors.js';
import {
  Control,
  ControlFlag,
  DestNode,
  NODE_FLAGS_INACTIVE,
  Srvid,
  UNKNOWN_PNN,
  publicIpPayload,
  sockAddr,
  u32Payload,
  type PublicIp,
  type SockAddr,
} from '../protocol/index.js';
import {
  addrInfoPayload,
  connectionPayload,
  ifacePayload,
  publicIpInfoPayload,
  publicIpListPayload,
  sockAddrPayload,
  tickleListPayload,
  type Connection,
  type PublicIpInfo,
  type TickleList,
} from '../takeover/wire.js';
import {
  CommandExit,
  daemonCommand,
  localCommand,
  sleep,
  usageExit,
  type ToolSession,
} from './session.js';
import type { Command, CommandContext } from './types.js';

const IFACE_NAME_MAX = 16;

// ---------------------------------------------------------------------------------------------
// Address text as CTDB's tool reads and prints it

/** ctdb_sock_addr_from_string(text, false): a bare IPv4/IPv6 address. */
function parseAddress(text: string): SockAddr | undefined {
  const ip = canonicalIp(text);
  return ip === undefined ? undefined : sockAddr(ip);
}

/** ctdb_sock_addr_from_string(text, true): `IP:PORT`, IPv6 as `[IP]:PORT`. */
function parseAddressPort(text: string): SockAddr | undefined {
  try {
    const e = parseEndpoint(text);
    return sockAddr(e.ip, e.port);
  } catch {
    return undefined;
  }
}

/** ctdb_sock_addr_mask_from_string: `IP/BITS`. */
function parseAddressMask(text: string): { addr: SockAddr; mask: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (addr === undefined || !/^[0-9]+$/.test(bits)) return undefined;
  return { addr, mask: Number(bits) };
}

/** ctdb_sock_addr_to_string(addr, withPort). */
function addressText(a: SockAddr, withPort = false): string {
  if (!withPort) return a.address;
  return a.family === 'inet6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function addressBytes(a: SockAddr): Uint8Array {
  const raw = sockAddrPayload.encode(a);
  return a.family === 'inet6' ? raw.subarray(8, 24) : raw.subarray(4, 8);
}

/** ctdb_sock_addr_cmp: family (inet before inet6), then address bytes, then port. */
function compareAddresses(a: SockAddr, b: SockAddr): number {
  const fam = (s: SockAddr): number => (s.family === 'inet' ? 2 : s.family === 'inet6' ? 10 : 0);
  if (fam(a) !== fam(b)) return fam(a) - fam(b);
  const x = addressBytes(a);
  const y = addressBytes(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return a.port - b.port;
}

function sameIp(a: SockAddr, b: SockAddr): boolean {
  return a.family === b.family && a.address === b.address;
}

/** The owner as CTDB prints it: a signed int (-1 for unassigned). */
const signedPnn = (pnn: number): number => pnn | 0;

// ---------------------------------------------------------------------------------------------
// The public-address controls (their payloads live in takeover/wire.ts)

function getPublicIps(
  s: ToolSession,
  pnn: number,
  onlyAvailable = false,
): Promise<readonly PublicIp[]> {
  return s.call(
    Control.GET_PUBLIC_IPS,
    pnn,
    undefined,
    publicIpListPayload,
    onlyAvailable ? ControlFlag.PUBLIC_IP_ONLY_AVAILABLE : 0,
  );
}

function getPublicIpInfo(s: ToolSession, pnn: number, addr: SockAddr): Promise<PublicIpInfo> {
  return s.call(Control.GET_PUBLIC_IP_INFO, pnn, sockAddrPayload.encode(addr), publicIpInfoPayload);
}

/** disable_takeover_runs: DISABLE_TAKEOVER_RUNS to each node, waiting for every answer. */
function disableTakeoverRuns(
  s: ToolSession,
  timeout: number,
  pnns: readonly number[],
): Promise<number> {
  return s.disableOnNodes(Srvid.DISABLE_TAKEOVER_RUNS, 'disable takeover runs', timeout, pnns);
}

// ---------------------------------------------------------------------------------------------
// ip, ipinfo, ifaces, setifacelink

/** get_all_public_ips: an owner claimed by the node itself wins, otherwise -1. */
async function allPublicIps(s: ToolSession): Promise<PublicIp[]> {
  const merged = new Map<string, PublicIp>();
  for (const pnn of await s.activeNodes()) {
    for (const ip of await getPublicIps(s, pnn)) {
      const key = `${ip.addr.family} ${ip.addr.address}`;
      if (ip.pnn === pnn) merged.set(key, ip);
      else if (!merged.has(key)) merged.set(key, { pnn: UNKNOWN_PNN, addr: ip.addr });
    }
  }
  return [...merged.values()];
}

function printIps(
  s: ToolSession,
  ips: readonly PublicIp[],
  infos: readonly (PublicIpInfo | undefined)[],
  all: boolean,
): void {
  const { machine, verbose } = s.ctx.options;
  const sep = s.sep;
  let text = '';
  if (machine) {
    text += `${sep}Public IP${sep}Node${sep}`;
    text += verbose
      ? `ActiveInterfaces${sep}AvailableInterfaces${sep}ConfiguredInterfaces${sep}\n`
      : '\n';
  } else {
    text += all ? 'Public IPs on ALL nodes\n' : `Public IPs on node ${s.cmdPnn}\n`;
  }
  ips.forEach((ip, i) => {
    const addr = addressText(ip.addr);
    const pnn = signedPnn(ip.pnn);
    text += machine ? `${sep}${addr}${sep}${pnn}${sep}` : addr;
    if (!verbose) {
      text += machine ? '\n' : ` ${pnn}\n`;
      return;
    }
    const info = infos[i];
    const conf = info?.ifaces.map((f) => f.name).join(',') ?? '';
    const avail =
      info?.ifaces
        .filter((f) => f.linkState !== 0)
        .map((f) => f.name)
        .join(',') ?? '';
    const active = info?.ifaces[info.activeIdx]?.name ?? '';
    text += machine
      ? `${active}${sep}${avail}${sep}${conf}${sep}\n`
      : ` node[${pnn}] active[${active}] available[${avail}] configured[${conf}]\n`;
  });
  s.out(text);
}

const ip = daemonCommand('ip', true, async (s, args) => {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'all')) usageExit(s.ctx, 'ip');
  const all = args.length === 1;
  const ips = [...(all ? await allPublicIps(s) : await s.must(getPublicIps(s, s.cmdPnn)))];
  ips.sort((a, b) => compareAddresses(a.addr, b.addr));
  const infos: (PublicIpInfo | undefined)[] = [];
  for (const x of ips) {
    const pnn = all ? x.pnn : s.cmdPnn;
    infos.push(pnn === UNKNOWN_PNN ? undefined : await s.must(getPublicIpInfo(s, pnn, x.addr)));
  }
  printIps(s, ips, infos, all);
  return 0;
});

const ipinfo = daemonCommand('ipinfo', true, async (s, args) => {
  if (args.length !== 1) usageExit(s.ctx, 'ipinfo');
  const addr = parseAddress(args[0]!);
  if (addr === undefined) {
    s.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  let info: PublicIpInfo;
  try {
    info = await getPublicIpInfo(s, s.cmdPnn, addr);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    s.err(`${e.message}\n`);
    if (e.errno === -1) s.out(`Node ${s.cmdPnn} does not know about IP ${args[0]}\n`);
    return e.errno;
  }
  const a = addressText(info.ip.addr);
  let text = `Public IP[${a}] info on node ${s.cmdPnn}\n`;
  text += `IP:${a}\nCurrentNode:${signedPnn(info.ip.pnn)}\nNumInterfaces:${info.ifaces.length}\n`;
  info.ifaces.forEach((f, i) => {
    text +=
      `Interface[${i + 1}]: Name:${f.name} Link:${f.linkState === 0 ? 'down' : 'up'} ` +
      `References:${f.references}${i === info.activeIdx ? ' (active)' : ''}\n`;
  });
  s.out(text);
  return 0;
});

const ifaces = daemonCommand('ifaces', true, async (s, args) => {
  if (args.length !== 0) usageExit(s.ctx, 'ifaces');
  const list = await s.must(s.client.getIfaces(s.cmdPnn));
  if (list.length === 0) {
    s.out(`No interfaces configured on node ${s.cmdPnn}\n`);
    return 0;
  }
  const sep = s.sep;
  let text = s.ctx.options.machine
    ? `${sep}Name${sep}LinkStatus${sep}References${sep}\n`
    : `Interfaces on node ${s.cmdPnn}\n`;
  for (const f of list) {
    text += s.ctx.options.machine
      ? `${sep}${f.name}${sep}${f.linkState}${sep}${f.references}${sep}\n`
      : `name:${f.name} link:${f.linkState !== 0 ? 'up' : 'down'} references:${f.references}\n`;
  }
  s.out(text);
  return 0;
});

const setifacelink = daemonCommand('setifacelink', true, async (s, args) => {
  if (args.length !== 2) usageExit(s.ctx, 'setifacelink');
  const [name, state] = args as [string, string];
  if (Buffer.byteLength(name) > IFACE_NAME_MAX) {
    s.err(`Interface name '${name}' too long\n`);
    return 1;
  }
  const list = await s.must(
    s.client.getIfaces(s.cmdPnn),
    `Failed to get interface information from node ${s.cmdPnn}\n`,
  );
  const iface = list.find((f) => f.name === name);
  if (iface === undefined) {
    s.out(`Interface ${name} not configured on node ${s.cmdPnn}\n`);
    return 1;
  }
  if (state !== 'up' && state !== 'down') usageExit(s.ctx, 'setifacelink');
  await s.must(
    s.call(
      Control.SET_IFACE_LINK_STATE,
      s.cmdPnn,
      ifacePayload.encode({ name, linkState: state === 'up' ? 1 : 0, references: 0 }),
    ),
  );
  return 0;
});

// ---------------------------------------------------------------------------------------------
// moveip, addip, delip, reloadips, ipreallocate

async function moveOnce(s: ToolSession, addr: SockAddr, pnn: number): Promise<number> {
  const timeout = 2 * s.ctx.options.maxRuntime;
  s.client.sendMessage(
    DestNode.BROADCAST_CONNECTED,
    Srvid.DISABLE_IP_CHECK,
    u32Payload.encode(timeout >>> 0),
  );
  let ips: readonly PublicIp[];
  try {
    ips = await getPublicIps(s, pnn);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    s.err(`${e.message}\nFailed to get Public IPs from node ${pnn}\n`);
    return e.errno;
  }
  if (!ips.some((x) => sameIp(x.addr, addr))) {
    s.err(`Node ${pnn} CANNOT host IP address ${addressText(addr)}\n`);
    return 1;
  }
  const data = publicIpPayload.encode({ pnn, addr });
  const others = await s.activeNodes(pnn);
  const released = await Promise.allSettled(others.map((p) => s.call(Control.RELEASE_IP, p, data)));
  const bad = released.find((r) => r.status === 'rejected');
  if (bad !== undefined) {
    const reason: unknown = bad.reason;
    if (reason instanceof ClientError) s.err(`${reason.message}\n`);
    s.err('Failed to release IP on nodes\n');
    return reason instanceof ClientError ? reason.errno : 1;
  }
  try {
    await s.call(Control.TAKEOVER_IP, pnn, data);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    s.err(`${e.message}\nFailed to takeover IP on node ${pnn}\n`);
    return e.errno;
  }
  return 0;
}

const moveip = daemonCommand('moveip', false, async (s, args) => {
  if (args.length !== 2) usageExit(s.ctx, 'moveip');
  const addr = parseAddress(args[0]!);
  if (addr === undefined) {
    s.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  const pnnText = args[1]!;
  const pnn = /^[0-9]+$/.test(pnnText) ? Number(pnnText) : Number.NaN;
  if (!Number.isInteger(pnn) || pnn >= UNKNOWN_PNN) {
    s.err(`Invalid PNN ${pnnText}\n`);
    return 1;
  }
  let rc = 1;
  for (let retries = 0; retries < 5; retries++) {
    rc = await moveOnce(s, addr, pnn);
    if (rc === 0) break;
    await sleep(3000);
  }
  if (rc !== 0) {
    s.err(`Failed to move IP ${args[0]} to node ${pnn}\n`);
    return rc;
  }
  return 0;
});

const addip = daemonCommand('addip', true, async (s, args) => {
  if (args.length !== 2) usageExit(s.ctx, 'addip');
  const parsed = parseAddressMask(args[0]!);
  if (parsed === undefined) {
    s.err(`Invalid IP/Mask ${args[0]}\n`);
    return 1;
  }
  const ips = await s
    .must(getPublicIps(s, s.cmdPnn), `Failed to get Public IPs from node ${s.cmdPnn}\n`)
    .catch((e: unknown) => {
      if (e instanceof CommandExit) throw new CommandExit(1);
      throw e;
    });
  if (ips.some((x) => sameIp(x.addr, parsed.addr))) {
    s.err(`Node already knows about IP ${addressText(parsed.addr)}\n`);
    return 0;
  }
  const data = addrInfoPayload.encode({ addr: parsed.addr, mask: parsed.mask, iface: args[1]! });
  let rc = 1;
  for (let retries = 0; retries < 5; retries++) {
    try {
      await s.call(Control.ADD_PUBLIC_IP, s.cmdPnn, data);
      rc = 0;
      break;
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      s.err(`${e.message}\n`);
      rc = e.errno;
      await sleep(3000);
    }
  }
  if (rc !== 0) {
    s.err(`Failed to add public IP to node ${s.cmdPnn}. Giving up\n`);
    return rc;
  }
  s.client.sendMessage(
    DestNode.BROADCAST_CONNECTED,
    Srvid.REBALANCE_NODE,
    u32Payload.encode(s.cmdPnn),
  );
  return 0;
});

const delip = daemonCommand('delip', true, async (s, args) => {
  if (args.length !== 1) usageExit(s.ctx, 'delip');
  const addr = parseAddress(args[0]!);
  if (addr === undefined) {
    s.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  const ips = await s
    .must(getPublicIps(s, s.cmdPnn), `Failed to get Public IPs from node ${s.cmdPnn}\n`)
    .catch((e: unknown) => {
      if (e instanceof CommandExit) throw new CommandExit(1);
      throw e;
    });
  if (!ips.some((x) => sameIp(x.addr, addr))) {
    s.err(`Node does not know about IP address ${addressText(addr)}\n`);
    return 0;
  }
  await s.must(
    s.call(Control.DEL_PUBLIC_IP, s.cmdPnn, addrInfoPayload.encode({ addr, mask: 0, iface: '' })),
    `Failed to delete public IP from node ${s.cmdPnn}\n`,
  );
  return 0;
});

/** parse_nodestring: undefined (this node), `all`, or a comma list. */
async function nodeList(s: ToolSession, text: string | undefined): Promise<number[] | undefined> {
  const map = await s.getNodemap();
  if (text === undefined) return map.nodes.filter((n) => n.pnn === s.cmdPnn).map((n) => n.pnn);
  if (text === 'all') return map.nodes.map((n) => n.pnn);
  const out: number[] = [];
  for (const tok of text.split(',').filter((t) => t !== '')) {
    const pnn = /^(0x[0-9a-f]+|[0-9]+)$/i.test(tok) ? Number(tok) : Number.NaN;
    if (!Number.isInteger(pnn)) {
      s.err(`Invalid node ${tok}\n`);
      return undefined;
    }
    const node = map.nodes.find((n) => n.pnn === pnn);
    if (node === undefined) {
      s.err(`Node ${pnn} does not exist\n`);
      return undefined;
    }
    out.push(pnn);
  }
  return out;
}

const reloadips = daemonCommand('reloadips', false, async (s, args) => {
  if (args.length > 1) usageExit(s.ctx, 'reloadips');
  const chosen = await nodeList(s, args[0]);
  if (chosen === undefined) return 1;
  const map = await s.getNodemap();
  const targets = chosen.filter((p) => {
    const n = map.nodes.find((x) => x.pnn === p);
    return n !== undefined && (n.flags & NODE_FLAGS_INACTIVE) === 0;
  });
  const connected = await s.connectedNodes();
  let rc = await disableTakeoverRuns(s, 2 * s.ctx.options.maxRuntime, connected);
  if (rc !== 0) {
    s.err('Failed to disable takeover runs\n');
    return rc;
  }
  const results = await Promise.allSettled(
    targets.map((p) => s.call(Control.RELOAD_PUBLIC_IPS, p)),
  );
  if (results.some((r) => r.status === 'rejected')) {
    s.err('Failed to reload IPs on some nodes.\n');
  }
  rc = await disableTakeoverRuns(s, 0, connected);
  if (rc !== 0) {
    s.err('Failed to enable takeover runs\n');
    return rc;
  }
  return s.ipreallocate();
});

function ipreallocateCommand(name: 'ipreallocate' | 'sync'): Command {
  return daemonCommand(name, true, (s, args) => {
    // Both names share CTDB's control_ipreallocate, whose usage text names ipreallocate.
    if (args.length !== 0) usageExit(s.ctx, 'ipreallocate');
    return s.ipreallocate();
  });
}

// ---------------------------------------------------------------------------------------------
// gratarp, tickles, checktcpport

const gratarp = daemonCommand('gratarp', true, async (s, args) => {
  if (args.length !== 2) usageExit(s.ctx, 'gratarp');
  const addr = parseAddress(args[0]!);
  if (addr === undefined) {
    s.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  await s.must(
    s.call(
      Control.SEND_GRATUITOUS_ARP,
      s.cmdPnn,
      addrInfoPayload.encode({ addr, mask: 0, iface: args[1]! }),
    ),
    `Unable to send gratuitous arp from node ${s.cmdPnn}\n`,
  );
  return 0;
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** ctdb_connection_list_read: `SRC DST` per line; blank lines and `#` comments skipped. */
async function readConnections(ctx: CommandContext): Promise<Connection[] | undefined> {
  const text = await readStdin();
  const out: Connection[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [a, b, extra] = t.split(/\s+/);
    const src = a === undefined ? undefined : parseAddressPort(a);
    const dst = b === undefined ? undefined : parseAddressPort(b);
    if (src === undefined || dst === undefined || extra !== undefined) {
      ctx.io.err(`Invalid connection "${t}"\n`);
      return undefined;
    }
    out.push({ src, dst });
  }
  return out;
}

/** The tickle sender, loaded on first use: its module pulls in the netlink listing code. */
let tickleModule: Promise<typeof import('../../lib/tcp/tickle.js')> | undefined;

async function sendTickle(src: SockAddr, dst: SockAddr): Promise<boolean> {
  tickleModule ??= import('../../lib/tcp/tickle.js');
  const { sendTickleAck } = await tickleModule;
  try {
    // As ctdb_sys_send_tcp(dest = SRC, src = DST): the ACK goes from DST to SRC.
    sendTickleAck({
      src: { ip: src.address, port: src.port },
      dst: { ip: dst.address, port: dst.port },
    });
    return true;
  } catch {
    return false;
  }
}

const tickle = localCommand('tickle', async (ctx, args) => {
  if (args.length !== 0 && args.length !== 2) usageExit(ctx, 'tickle');
  if (args.length === 0) {
    const list = await readConnections(ctx);
    if (list === undefined) return 22;
    let failed = 0;
    for (const c of list) if (!(await sendTickle(c.src, c.dst))) failed++;
    if (failed > 0) {
      ctx.io.err(`Failed to send ${failed} tickles\n`);
      return 1;
    }
    return 0;
  }
  const src = parseAddressPort(args[0]!);
  if (src === undefined) {
    ctx.io.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  const dst = parseAddressPort(args[1]!);
  if (dst === undefined) {
    ctx.io.err(`Invalid IP address ${args[1]}\n`);
    return 1;
  }
  if (!(await sendTickle(src, dst))) {
    ctx.io.err('Failed to send tickle ack\n');
    return 1;
  }
  return 0;
});

const gettickles = daemonCommand('gettickles', true, async (s, args) => {
  if (args.length < 1 || args.length > 2) usageExit(s.ctx, 'gettickles');
  let port = 0;
  if (args.length === 2) {
    if (!/^[0-9]+$/.test(args[1]!)) return Errno.EINVAL;
    port = Number(args[1]) & 0xffff;
  }
  const addr = parseAddress(args[0]!);
  if (addr === undefined) {
    s.err(`Invalid IP address ${args[0]}\n`);
    return 1;
  }
  const list: TickleList = await s.must(
    s.call(
      Control.GET_TCP_TICKLE_LIST,
      s.cmdPnn,
      sockAddrPayload.encode({ ...addr, port }),
      tickleListPayload,
    ),
    'Failed to get list of connections\n',
  );
  const sep = s.sep;
  let text = '';
  if (s.ctx.options.machine) {
    text += `${sep}Source IP${sep}Port${sep}Destiation IP${sep}Port${sep}\n`;
    for (const c of list.connections) {
      text += `${sep}${c.src.address}${sep}${c.src.port}${sep}${c.dst.address}${sep}${c.dst.port}${sep}\n`;
    }
  } else {
    text += `Connections for IP: ${addressText(list.addr)}\n`;
    text += `Num connections: ${list.connections.length}\n`;
    for (const c of list.connections) {
      text += `SRC: ${addressText(c.src, true)}   DST: ${addressText(c.dst, true)}\n`;
    }
  }
  s.out(text);
  return 0;
});

function tickleEdit(name: 'addtickle' | 'deltickle'): Command {
  const opcode = name === 'addtickle' ? Control.TCP_ADD_DELAYED_UPDATE : Control.TCP_REMOVE;
  const verb = name === 'addtickle' ? 'add' : 'remove';
  return daemonCommand(name, true, async (s, args) => {
    if (args.length !== 0 && args.length !== 2) usageExit(s.ctx, name);
    if (args.length === 0) {
      const list = await readConnections(s.ctx);
      if (list === undefined) return Errno.EINVAL;
      if (list.length === 0) return 0;
      const results = await Promise.allSettled(
        list.map((c) => s.call(opcode, s.cmdPnn, connectionPayload.encode(c))),
      );
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed > 0) {
        s.err(`Failed to ${verb} ${failed} tickles\n`);
        return 1;
      }
      return 0;
    }
    const src = parseAddressPort(args[0]!);
    if (src === undefined) {
      s.err(`Invalid IP address ${args[0]}\n`);
      return 1;
    }
    const dst = parseAddressPort(args[1]!);
    if (dst === undefined) {
      s.err(`Invalid IP address ${args[1]}\n`);
      return 1;
    }
    await s.must(
      s.call(opcode, s.cmdPnn, connectionPayload.encode({ src, dst })),
      name === 'addtickle'
        ? 'Failed to register connection\n'
        : 'Failed to unregister connection\n',
    );
    return 0;
  });
}

const checktcpport = localCommand('checktcpport', async (ctx, args) => {
  // CTDB's own usage call names "chktcpport", which is not a command: full usage is printed.
  if (args.length !== 1) usageExit(ctx, 'chktcpport');
  const port = Number.parseInt(args[0]!, 10) || 0;
  const code = await new Promise<number>((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code === 'EADDRINUSE' ? 98 : e.code === 'EACCES' ? 13 : 1);
    });
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(0));
    });
  });
  if (code !== 0) ctx.io.err(`Failed to bind to TCP port ${port}\n`);
  return code;
});

export const commands: readonly Command[] = [
  ip,
  ipinfo,
  ifaces,
  setifacelink,
  moveip,
  addip,
  delip,
  reloadips,
  ipreallocateCommand('ipreallocate'),
  ipreallocateCommand('sync'),
  gratarp,
  tickle,
  gettickles,
  tickleEdit('addtickle'),
  tickleEdit('deltickle'),
  checktcpport,
];
