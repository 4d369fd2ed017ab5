// A CTDB cluster to break on purpose: N nodes (ours or Debian's ctdbd 4.17) in NetLab network
// namespaces, with public addresses on each node's eth1, the interface eventscript enabled, a
// cluster lock (a file shared by all namespaces, an etcd, or none), a small TCP service on
// every node and a client agent in the client namespace that holds connections open. The
// fault tests (test/e2e/*) and the failover benchmark build on this API; keep it stable.
//
//   const c = await FaultCluster.create({ daemon: 'debian' });   // 3 nodes, 2 addresses each
//   c.ctdb(pnn, ['ip', '-X'])        the matching `ctdb` tool inside node pnn's namespace
//   c.leader()                       the leader every live node agrees on, or undefined
//   c.state(pnn) / c.states()        protocol probe: flags, recmode, generation, leader
//   c.ipOwners(pnn?)                 address → pnn, from `ctdb -X ip` on a live node
//   c.kernelHolders()                address → pnns whose eth1 actually carries it
//   c.kill9(pnn)                     SIGKILL the node's ctdbd (its addresses stay on eth1)
//   c.crash(pnn)                     kill9 + remove the public addresses from its eth1, as
//                                    Debian's ctdb-crash-cleanup.sh (or a reboot) would
//   c.sigstop(pnn) / c.sigcont(pnn)  freeze / thaw the node's ctdbd
//   c.start(pnn)                     start a node's ctdbd again (after kill9/crash/`ctdb shutdown`)
//   c.linkDown/linkUp(pnn, 'public'|'private')   carrier loss seen by the node
//   c.partition([[0,1],[2]]) / c.heal()          split the private network in two
//   c.waitFor(pred, timeoutMs, what)             bounded polling; the error shows node logs
//   c.waitSettled(ms)                all OK, one leader, each address on one node, each node a share
//   c.addTickle/delTickle/tickles    a node's client-connection list for an address (wire controls)
//   c.client                         ClientAgent: open(addr) held connections and ending(conn),
//                                    answer(addr) one-shot "who answers", arpMacs(addr)
//   c.destroy()                      everything down (by PID) and the namespaces removed
//
// Addresses: node i has 10.77.0.(i+1) on the private eth0 and eth1 on the public bridge, the
// client 10.78.0.254 (and fd78::fe). Public addresses default to 2 per node: 10.78.0.101,
// .102, … /24 on eth1 (IPv6: fd78::101, … /64 when `ipv6PerNode` > 0); every node lists all of
// them. The TCP service listens on port SERVICE_PORT and writes "<pnn>\n" to each connection.
// Daemons run outside CTDB_TEST_MODE (which would make CTDB ignore the kernel's addresses: no
// gratuitous ARP, no tickle ACKs), each in its own mount namespace with its CTDB_BASE
// bind-mounted over /etc/ctdb, /run/ctdb and /var/lib/ctdb; the `ctdb` tool and the probes
// reach a node through $CTDB_BASE/run/ctdbd.socket. A node's own log is its daemon's stderr
// (`log(pnn)`, and every node's tail in timeout errors).
// With clusterLock 'etcd', a real etcd runs in the hub namespace on the private bridge
// (ETCD_ADDRESS) and every node uses our ctdb_etcd_lock helper (`cluster lock = !helper -c file`).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand } from '../../runtime/paths/index.js';
import { ourCtdb } from '../cli/ctdb-tool.js';
import { CtdbClient } from '../../runtime/client/client.js';
import { Control } from '../../runtime/protocol/controls.js';
import { DestNode, NodeFlag } from '../../runtime/protocol/constants.js';
import type { SockAddr } from '../../runtime/protocol/sockaddr.js';
import {
  connectionPayload,
  sockAddrPayload,
  tickleListPayload,
  type Connection,
} from '../../runtime/takeover/wire.js';
import {
  nodeEnv,
  probe,
  socketOf,
  writeNodeConfig,
  type NodeProbe,
} from '../../tools/local-cluster.js';
import { EtcdServer, etcdUnavailable } from './etcd.js';
import {
  NetLab,
  canCreateNamespaces,
  type LabHost,
  type LabProcess,
  type RunResult,
} from './netlab.js';

export const DEBIAN_CTDBD = '/usr/sbin/ctdbd';
export const DEBIAN_CTDB = '/usr/bin/ctdb';
const DEBIAN_INTERFACE_SCRIPT = '/usr/share/ctdb/events/legacy/10.interface.script';
const DEBIAN_FUNCTIONS = '/etc/ctdb/functions';
/** Port of the per-node TCP service the client connects to. */
export const SERVICE_PORT = 7001;
/** The etcd address (the hub's address on the private bridge) with clusterLock 'etcd'. */
export const ETCD_ADDRESS = '10.77.0.250';
export const UNKNOWN_PNN = 0xffffffff;

/**
 * Runs a daemon outside CTDB_TEST_MODE (in test mode CTDB never looks at the kernel's addresses:
 * no "already hosted" checks, no gratuitous ARP, no tickle ACKs), with the node's CTDB_BASE
 * bind-mounted over Debian's paths in the mount namespace `ip netns exec` gave it:
 * /etc/ctdb, /run/ctdb, /var/lib/ctdb and (ours, whose shipped scripts live there) /usr/share/ctdb.
 */
const OWN_PATHS = [
  'b="$1"; shift',
  'mkdir -p /run/ctdb',
  'mount --bind "$b" /etc/ctdb && mount --bind "$b/run" /run/ctdb &&',
  '  mount --bind "$b/var" /var/lib/ctdb || exit 97',
  'if [ -d "$b/share" ]; then mount --bind "$b/share" /usr/share/ctdb || exit 97; fi',
  'exec "$@"',
].join('\n');

/** Realtime scheduling off: a shared test machine is no place for SCHED_FIFO. */
const LEGACY_CONF = '[legacy]\n\trealtime scheduling = false\n';

export type DaemonKind = 'ours' | 'debian';
export type ClusterLockKind = 'file' | 'etcd' | 'none';

export interface FaultClusterOptions {
  /** Number of nodes (default 3). */
  nodes?: number;
  daemon: DaemonKind;
  /** IPv4 public addresses per node (default 2), or the exact `public_addresses` lines. */
  publicAddresses?: number | readonly string[];
  /** IPv6 public addresses per node (default 0): fd78::101, … /64 on eth1. */
  ipv6PerNode?: number;
  /** Default 'file': a lock file in the cluster's temp dir. */
  clusterLock?: ClusterLockKind;
  /** Written to every node's ctdb.tunables (NAME=VALUE). */
  tunables?: Readonly<Record<string, number>>;
  /** Extra ctdb.conf text appended to every node's config. */
  extraConf?: string;
  /** Short label for the namespace names. */
  label?: string;
  /** How long create() waits for a settled cluster (default 90 s). */
  readyTimeoutMs?: number;
}

/** Why a fault cluster of this kind cannot run here (for `{ skip }`), or undefined. */
export function faultClusterUnavailable(
  daemon: DaemonKind,
  lock: ClusterLockKind = 'file',
): string | undefined {
  const ns = canCreateNamespaces();
  if (!ns.ok) return ns.reason;
  if (daemon === 'debian') {
    for (const f of [DEBIAN_CTDBD, DEBIAN_CTDB, DEBIAN_INTERFACE_SCRIPT, DEBIAN_FUNCTIONS])
      if (!existsSync(f)) return `${f} is not installed (Debian package ctdb)`;
  }
  if (lock === 'etcd') return etcdUnavailable();
  return undefined;
}

/** Why `arpMacs` cannot run here (no arping), or undefined. */
export function arpingUnavailable(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v arping'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'arping is not installed (Debian package arping)';
}

/** A sock_addr for an IPv4 or IPv6 address and port. */
export function sockAddrOf(address: string, port: number): SockAddr {
  return { family: address.includes(':') ? 'inet6' : 'inet', address, port };
}

export class FaultClusterError extends Error {
  override name = 'FaultClusterError';
}

/** One node of the cluster. */
export interface FaultNode {
  readonly pnn: number;
  readonly host: LabHost;
  readonly base: string;
  readonly env: NodeJS.ProcessEnv;
  daemon: LabProcess | undefined;
  service: LabProcess | undefined;
}

/** The public addresses a cluster gets by default. */
export function defaultPublicAddresses(
  nodes: number,
  v4PerNode: number,
  v6PerNode: number,
): string[] {
  const lines: string[] = [];
  for (let i = 0; i < nodes * v4PerNode; i++) lines.push(`10.78.0.${101 + i}/24 eth1`);
  for (let i = 0; i < nodes * v6PerNode; i++)
    lines.push(`fd78::${(0x101 + i).toString(16)}/64 eth1`);
  return lines;
}

const SERVICE_SCRIPT = `
const pnn = process.argv[1];
const srv = require('net').createServer((s) => { s.on('error', () => {}); s.write(pnn + '\\n'); });
srv.listen({ port: ${SERVICE_PORT}, host: '::', ipv6Only: false }, () => console.log('listening'));
`;

// The client agent: reads commands on stdin, prints one JSON line per event on stdout.
//   open ID ADDR    connect and keep open → {ev:'open',id,pnn} | {ev:'error',id,code}; later {ev:'reset'|'end',id}
//   ask ID ADDR     connect, read the pnn, close → {ev:'answer',id,pnn} | {ev:'noanswer',id,code}
//   close ID        close an open connection
const CLIENT_SCRIPT = `
const net = require('net');
const socks = new Map();
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\\n');
function connect(id, addr, keep, timeoutMs) {
  const s = net.connect({ host: addr, port: ${SERVICE_PORT} });
  let buf = '', done = false;
  const timer = setTimeout(() => { if (!done) { done = true; out({ ev: keep ? 'error' : 'noanswer', id, code: 'TIMEOUT' }); s.destroy(); } }, timeoutMs);
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    if (!done && buf.includes('\\n')) {
      done = true; clearTimeout(timer);
      const pnn = Number(buf.trim());
      if (keep) { socks.set(id, s); out({ ev: 'open', id, pnn, lport: s.localPort }); }
      else { out({ ev: 'answer', id, pnn }); s.destroy(); }
    }
  });
  s.on('error', (e) => {
    if (!done) { done = true; clearTimeout(timer); out({ ev: keep ? 'error' : 'noanswer', id, code: e.code }); return; }
    if (keep && socks.has(id)) { socks.delete(id); out({ ev: e.code === 'ECONNRESET' ? 'reset' : 'error', id, code: e.code }); }
  });
  s.on('end', () => { if (keep && socks.has(id)) { socks.delete(id); out({ ev: 'end', id }); } });
}
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, id, addr, ms] = line.trim().split(' ');
  if (cmd === 'open') connect(id, addr, true, Number(ms) || 3000);
  else if (cmd === 'ask') connect(id, addr, false, Number(ms) || 1000);
  else if (cmd === 'close') { const s = socks.get(id); socks.delete(id); if (s) s.destroy(); }
}).on('close', () => process.exit(0));
out({ ev: 'ready' });
`;

export interface ClientEvent {
  t: number;
  ev: 'ready' | 'open' | 'error' | 'answer' | 'noanswer' | 'reset' | 'end';
  id?: string;
  pnn?: number;
  code?: string;
  lport?: number;
}

/** A held-open connection from the client namespace to a public address. */
export interface ClientConnection {
  readonly id: string;
  readonly address: string;
  /** The node that answered when it was opened. */
  readonly pnn: number;
  /** The client's local port (for `ctdb addtickle`). */
  readonly localPort: number;
}

/** The process in the client namespace that opens and watches connections. */
export class ClientAgent {
  private seq = 0;

  constructor(
    readonly proc: LabProcess,
    readonly host: LabHost,
    /** The client's address on the public network. */
    readonly address: string,
    readonly address6: string,
  ) {}

  events(): ClientEvent[] {
    return this.proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ClientEvent);
  }

  private async result(
    id: string,
    evs: readonly ClientEvent['ev'][],
    timeoutMs: number,
  ): Promise<ClientEvent> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const e = this.events().find((x) => x.id === id && evs.includes(x.ev));
      if (e !== undefined) return e;
      if (!this.proc.running)
        throw new FaultClusterError(`client agent exited:\n${this.proc.output()}`);
      await sleep(10);
    }
    throw new FaultClusterError(`client agent: no ${evs.join('/')} for ${id} in ${timeoutMs} ms`);
  }

  /** Opens a connection and keeps it open; throws if the address does not answer. */
  async open(address: string, timeoutMs = 3000): Promise<ClientConnection> {
    const id = `c${++this.seq}`;
    this.proc.write(`open ${id} ${address} ${timeoutMs}\n`);
    const e = await this.result(id, ['open', 'error'], timeoutMs + 2000);
    if (e.ev !== 'open') throw new FaultClusterError(`connect to ${address}: ${e.code ?? e.ev}`);
    return { id, address, pnn: e.pnn ?? -1, localPort: e.lport ?? 0 };
  }

  /** Connects, reads the answering node's pnn and closes; undefined when nobody answers in time. */
  async answer(address: string, timeoutMs = 1000): Promise<number | undefined> {
    const id = `a${++this.seq}`;
    this.proc.write(`ask ${id} ${address} ${timeoutMs}\n`);
    const e = await this.result(id, ['answer', 'noanswer'], timeoutMs + 2000);
    return e.ev === 'answer' ? e.pnn : undefined;
  }

  /** How an open connection ended: 'reset', 'end' or 'error', with the time; undefined if still open. */
  ending(conn: ClientConnection): ClientEvent | undefined {
    return this.events().find(
      (x) => x.id === conn.id && (x.ev === 'reset' || x.ev === 'end' || x.ev === 'error'),
    );
  }

  close(conn: ClientConnection): void {
    this.proc.write(`close ${conn.id}\n`);
  }

  /** Distinct MAC addresses answering ARP (IPv4) for `address` during `count` probes. */
  async arpMacs(address: string, count = 2): Promise<string[]> {
    const r = await this.host.run(
      ['arping', '-c', String(count), '-w', '1', '-i', 'eth0', address],
      {
        timeoutMs: 10_000 + count * 1000,
      },
    );
    const macs = new Set<string>();
    for (const m of r.stdout.matchAll(/from ([0-9a-f]{2}(?::[0-9a-f]{2}){5})/gi))
      macs.add(m[1]!.toLowerCase());
    return [...macs];
  }
}

export class FaultCluster {
  readonly nodes: FaultNode[] = [];
  readonly publicAddresses: string[];
  client!: ClientAgent;
  etcd: EtcdServer | undefined;
  /** The lock file (clusterLock 'file'). */
  readonly lockFile: string | undefined;

  private constructor(
    readonly lab: NetLab,
    readonly dir: string,
    readonly opts: Required<
      Omit<FaultClusterOptions, 'publicAddresses' | 'label' | 'readyTimeoutMs'>
    > & {
      publicLines: readonly string[];
    },
  ) {
    this.publicAddresses = opts.publicLines.map((l) => l.split(/\s+/)[0]!.split('/')[0]!);
    this.lockFile = opts.clusterLock === 'file' ? join(dir, 'shared', 'cluster.lock') : undefined;
  }

  static async create(options: FaultClusterOptions): Promise<FaultCluster> {
    const n = options.nodes ?? 3;
    const publicLines =
      typeof options.publicAddresses === 'object'
        ? [...options.publicAddresses]
        : defaultPublicAddresses(n, options.publicAddresses ?? 2, options.ipv6PerNode ?? 0);
    const ipv6 = publicLines.some((l) => l.includes(':'));
    const lab = await NetLab.create({
      nodes: n,
      client: true,
      ipv6,
      label: options.label ?? 'flt',
    });
    const dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-fault-'));
    const cluster = new FaultCluster(lab, dir, {
      nodes: n,
      daemon: options.daemon,
      ipv6PerNode: options.ipv6PerNode ?? 0,
      clusterLock: options.clusterLock ?? 'file',
      tunables: options.tunables ?? {},
      extraConf: options.extraConf ?? '',
      publicLines,
    });
    try {
      await cluster.setUp();
      await cluster.waitStarted(options.readyTimeoutMs ?? 90_000);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  private async setUp(): Promise<void> {
    const { daemon, clusterLock } = this.opts;
    mkdirSync(join(this.dir, 'shared'), { recursive: true });
    let lockSetting: string | undefined;
    if (clusterLock === 'file') lockSetting = this.lockFile;
    if (clusterLock === 'etcd') {
      await this.lab.hub.check(['ip', 'addr', 'add', `${ETCD_ADDRESS}/24`, 'dev', 'brpriv']);
      this.etcd = await EtcdServer.start({ host: this.lab.hub, address: ETCD_ADDRESS });
      const conf = join(this.dir, 'shared', 'etcd.conf');
      writeFileSync(
        conf,
        `hosts = ${this.etcd.clientUrl}\nname = fault\nlock_ttl = 9\nrefresh = 2\n`,
      );
      lockSetting = `!${this.wrapper('ctdb_etcd_lock')} -c ${conf}`;
    }
    const addrs = this.lab.nodes.map((h) => h.privateAddress!);
    const tunables = Object.entries(this.opts.tunables)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    for (const [pnn, host] of this.lab.nodes.entries()) {
      const base = join(this.dir, `node.${pnn}`);
      const extras = {
        publicAddresses: this.opts.publicLines,
        ...(lockSetting === undefined ? {} : { clusterLock: lockSetting }),
      };
      if (daemon === 'ours') {
        writeNodeConfig(
          base,
          addrs,
          pnn,
          LEGACY_CONF + this.opts.extraConf,
          ['10.interface'],
          extras,
        );
      } else {
        writeDebianNodeConfig(base, addrs, pnn, this.opts.extraConf, extras);
      }
      writeFileSync(join(base, 'ctdb.tunables'), tunables);
      // The tool runs in test mode, which only moves its paths under CTDB_BASE: it finds the
      // node's socket there (the daemon's /run/ctdb is that directory, bind-mounted).
      const env = nodeEnv(base);
      const node: FaultNode = { pnn, host, base, env, daemon: undefined, service: undefined };
      this.nodes.push(node);
      node.service = host.spawn([process.execPath, '-e', SERVICE_SCRIPT, String(pnn)]);
    }
    for (const node of this.nodes) await node.service!.waitForOutput(/listening/, 10_000);
    const clientHost = this.lab.client!;
    const agent = clientHost.spawn([process.execPath, '-e', CLIENT_SCRIPT], { stdinPipe: true });
    this.client = new ClientAgent(agent, clientHost, clientHost.publicAddress!, 'fd78::fe');
    await agent.waitForOutput(/"ready"/, 10_000);
    for (const node of this.nodes) this.start(node.pnn);
  }

  /** An executable that runs one of our TypeScript tools (a `!helper` setting names one path). */
  private wrapper(tool: string): string {
    const file = join(this.dir, 'shared', tool);
    const argv = helperCommand(tool)
      .map((a) => `'${a}'`)
      .join(' ');
    writeFileSync(file, `#!/bin/sh\nexec ${argv} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  node(pnn: number): FaultNode {
    const node = this.nodes[pnn];
    if (node === undefined) throw new FaultClusterError(`no node ${pnn}`);
    return node;
  }

  /** The argv of the daemon under test. */
  private daemonArgv(): string[] {
    return this.opts.daemon === 'debian' ? [DEBIAN_CTDBD, '-i'] : [...helperCommand('ctdbd'), '-i'];
  }

  /** The argv of the matching `ctdb` tool. */
  ctdbArgv(): string[] {
    // Ours as the package installs it (the start-up bundle), so figures include what an
    // admin's `ctdb disable` really costs.
    return this.opts.daemon === 'debian' ? [DEBIAN_CTDB] : ourCtdb();
  }

  /** Starts (or restarts) node pnn's ctdbd; stdin stays open (in test mode EOF stops it). */
  start(pnn: number): void {
    const node = this.node(pnn);
    if (node.daemon?.running === true)
      throw new FaultClusterError(`node ${pnn} is already running`);
    const env: NodeJS.ProcessEnv = { ...process.env, CTDB_BASE: '/etc/ctdb' };
    delete env.CTDB_TEST_MODE;
    delete env.CTDB_SOCKET;
    node.daemon = node.host.spawn(['sh', '-c', OWN_PATHS, 'sh', node.base, ...this.daemonArgv()], {
      env,
      stdinPipe: true,
    });
  }

  /** Whether node pnn's ctdbd process is alive (stopped counts as alive). */
  running(pnn: number): boolean {
    return this.node(pnn).daemon?.running === true;
  }

  /** Runs the matching `ctdb` tool in node pnn's namespace. */
  ctdb(pnn: number, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
    const node = this.node(pnn);
    return node.host.run([...this.ctdbArgv(), ...args], { env: node.env, timeoutMs });
  }

  /** Like ctdb(), but throws on a non-zero exit. */
  async ctdbOk(pnn: number, args: readonly string[], timeoutMs = 30_000): Promise<string> {
    const r = await this.ctdb(pnn, args, timeoutMs);
    if (r.code !== 0)
      throw new FaultClusterError(
        `ctdb ${args.join(' ')} on node ${pnn} exited ${r.code ?? r.signal}: ${r.stderr}${r.stdout}`,
      );
    return r.stdout;
  }

  /** A protocol probe of node pnn (flags, recmode, leader); undefined when it does not answer. */
  async state(pnn: number, timeoutMs = 1500): Promise<NodeProbe | undefined> {
    if (!this.running(pnn)) return undefined;
    const sock = socketOf(this.node(pnn).base);
    return (await probe(sock, timeoutMs, true)) ?? (await probe(sock, 500, false));
  }

  async states(): Promise<(NodeProbe | undefined)[]> {
    return Promise.all(this.nodes.map((n) => this.state(n.pnn)));
  }

  /** The leader all answering nodes agree on; undefined when none or they disagree. */
  async leader(among?: readonly number[]): Promise<number | undefined> {
    const pnns = among ?? this.nodes.map((n) => n.pnn);
    const seen = await Promise.all(pnns.map((p) => this.state(p)));
    const leaders = new Set(seen.filter((s) => s !== undefined).map((s) => s.leader));
    if (leaders.size !== 1) return undefined;
    const [l] = leaders;
    return l === UNKNOWN_PNN ? undefined : l;
  }

  /**
   * Registers a client connection with node pnn (TCP_ADD_DELAYED_UPDATE, as `ctdb addtickle`
   * does, and as smbd's TCP_CLIENT would): the node shares it with the others at the next
   * TickleUpdateInterval, so a new owner of `dst` can tickle the client after a failover.
   */
  async addTickle(pnn: number, src: SockAddr, dst: SockAddr): Promise<void> {
    await this.control(pnn, Control.TCP_ADD_DELAYED_UPDATE, connectionPayload.encode({ src, dst }));
  }

  /** Forgets a client connection on node pnn (TCP_REMOVE, as `ctdb deltickle`). */
  async delTickle(pnn: number, src: SockAddr, dst: SockAddr): Promise<void> {
    await this.control(pnn, Control.TCP_REMOVE, connectionPayload.encode({ src, dst }));
  }

  /** The client connections node pnn knows for a public address (GET_TCP_TICKLE_LIST). */
  async tickles(pnn: number, address: string): Promise<readonly Connection[]> {
    const data = await this.control(
      pnn,
      Control.GET_TCP_TICKLE_LIST,
      sockAddrPayload.encode(sockAddrOf(address, 0)),
    );
    return tickleListPayload.decode(data).connections;
  }

  /** One control to node pnn over its socket (no tool process: cheap enough to poll). */
  private async control(pnn: number, opcode: number, data: Uint8Array): Promise<Uint8Array> {
    const client = await CtdbClient.connect(socketOf(this.node(pnn).base), { timeoutMs: 5000 });
    try {
      const r = await client.raw(opcode, DestNode.CURRENT_NODE, data);
      if (r.status !== 0)
        throw new FaultClusterError(`control ${opcode} on node ${pnn}: status ${r.status}`);
      return r.data;
    } finally {
      client.close();
    }
  }

  /** address → owner pnn (-1 = unassigned) from `ctdb -X ip` on node `via` (default: first live node). */
  async ipOwners(via?: number): Promise<Map<string, number>> {
    const pnn = via ?? this.nodes.find((n) => this.running(n.pnn))?.pnn;
    if (pnn === undefined) throw new FaultClusterError('no live node to ask');
    const out = await this.ctdbOk(pnn, ['-X', 'ip'], 15_000);
    const owners = new Map<string, number>();
    for (const line of out.split('\n').slice(1)) {
      const f = line.split('|');
      if (f.length >= 3 && f[1] !== '') owners.set(f[1]!, Number(f[2]));
    }
    return owners;
  }

  /** address → the pnns whose eth1 carries it right now (the kernel's truth). */
  async kernelHolders(): Promise<Map<string, number[]>> {
    const held = new Map<string, number[]>(this.publicAddresses.map((a) => [a, []]));
    const outs = await Promise.all(
      this.nodes.map((n) => n.host.check(['ip', '-o', 'addr', 'show', 'dev', 'eth1'])),
    );
    for (const [pnn, out] of outs.entries()) {
      for (const m of out.matchAll(/\binet6? ([0-9a-f.:]+)\//g)) held.get(m[1]!)?.push(pnn);
    }
    return held;
  }

  /** True when every public address is on exactly one node's eth1 (among `eligible`, if given). */
  async eachAddressHostedOnce(eligible?: readonly number[]): Promise<boolean> {
    const held = await this.kernelHolders();
    return [...held.values()].every(
      (p) => p.length === 1 && (eligible === undefined || eligible.includes(p[0]!)),
    );
  }

  /** True when each node carries at least one address (or there are fewer addresses than nodes). */
  async everyNodeHasShare(): Promise<boolean> {
    if (this.publicAddresses.length < this.nodes.length) return true;
    const held = [...(await this.kernelHolders()).values()].flat();
    return this.nodes.every((n) => held.includes(n.pnn));
  }

  /** SIGKILL of node pnn's ctdbd; returns when it has exited. Its addresses stay on eth1. */
  async kill9(pnn: number): Promise<void> {
    const d = this.node(pnn).daemon;
    if (d === undefined || !d.running) return;
    d.kill('SIGKILL');
    await Promise.race([d.exited, sleep(5000)]);
  }

  /**
   * A node crash: kill -9 of its ctdbd, and its public addresses removed from eth1 (what Debian's
   * ctdb-crash-cleanup.sh does; a rebooted machine comes up without them).
   */
  async crash(pnn: number): Promise<void> {
    await this.kill9(pnn);
    await this.flushPublicAddresses(pnn);
  }

  /** Removes every configured public address from node pnn's eth1. */
  async flushPublicAddresses(pnn: number): Promise<void> {
    const host = this.node(pnn).host;
    const held = await this.kernelHolders();
    for (const line of this.opts.publicLines) {
      const [cidr] = line.split(/\s+/);
      const addr = cidr!.split('/')[0]!;
      if (held.get(addr)?.includes(pnn) === true)
        await host.run(['ip', 'addr', 'del', cidr!, 'dev', 'eth1']);
    }
  }

  sigstop(pnn: number): void {
    this.node(pnn).daemon?.kill('SIGSTOP');
  }

  sigcont(pnn: number): void {
    this.node(pnn).daemon?.kill('SIGCONT');
  }

  async linkDown(pnn: number, net: 'public' | 'private'): Promise<void> {
    await this.lab.setLink(this.node(pnn).host, net, false);
  }

  async linkUp(pnn: number, net: 'public' | 'private'): Promise<void> {
    await this.lab.setLink(this.node(pnn).host, net, true);
  }

  /** Splits the private network into two groups (the second moves to a bridge of its own). */
  async partition(groups: readonly (readonly number[])[]): Promise<void> {
    if (groups.length !== 2) throw new FaultClusterError('partition() takes exactly two groups');
    await this.lab.partition(groups[1]!.map((p) => this.node(p).host));
  }

  async heal(): Promise<void> {
    await this.lab.heal();
  }

  /** The tail of node pnn's log. */
  log(pnn: number, chars = 4000): string {
    let file = '';
    try {
      file = readFileSync(join(this.node(pnn).base, 'log.ctdb'), 'utf8');
    } catch {
      // not written yet
    }
    // With -i, ctdbd logs to its stderr; the file has what its helpers (eventd) wrote.
    const own = this.node(pnn).daemon?.output() ?? '';
    return `${own.slice(-chars)}${file === '' ? '' : `\n[log.ctdb]\n${file.slice(-chars / 2)}`}`;
  }

  /** Every node's log tail and process output, for failure messages. */
  diagnostics(chars = 2500): string {
    return this.nodes
      .map(
        (n) =>
          `--- node ${n.pnn} (${n.daemon?.running === true ? 'running' : 'down'})\n${this.log(n.pnn, chars)}`,
      )
      .join('\n');
  }

  /**
   * Polls `pred` (every 100 ms) until it returns true; returns the elapsed ms. Throws after
   * `timeoutMs` with `what` and the node logs.
   */
  async waitFor(
    pred: () => boolean | Promise<boolean>,
    timeoutMs: number,
    what = 'condition',
  ): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if (await pred()) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs)
        throw new FaultClusterError(
          `${what}: not reached within ${timeoutMs} ms\n${this.diagnostics()}`,
        );
      await sleep(100);
    }
  }

  /** True when the nodes in `pnns` all answer with flags 0, recovery NORMAL and one leader. */
  async healthyAmong(pnns: readonly number[]): Promise<boolean> {
    const seen = await Promise.all(pnns.map((p) => this.state(p)));
    if (seen.some((s) => s === undefined)) return false;
    const leaders = new Set(seen.map((s) => s!.leader));
    const leader = [...leaders][0];
    return (
      leaders.size === 1 &&
      leader !== UNKNOWN_PNN &&
      seen.every(
        (s) => s!.recmode === 0 && pnns.every((p) => (s!.flags[p]! & ~NodeFlag.DELETED) === 0),
      )
    );
  }

  /**
   * Waits until every node is OK with one leader, each public address is on exactly one node's
   * eth1, and every node carries some (when there are at least as many addresses as nodes).
   */
  async waitSettled(timeoutMs = 60_000): Promise<number> {
    const all = this.nodes.map((n) => n.pnn);
    return this.waitFor(
      async () => {
        for (const n of this.nodes)
          if (n.daemon !== undefined && !n.daemon.running)
            throw new FaultClusterError(`node ${n.pnn}'s ctdbd exited:\n${this.diagnostics()}`);
        return (
          (await this.healthyAmong(all)) &&
          (await this.eachAddressHostedOnce()) &&
          (await this.everyNodeHasShare())
        );
      },
      timeoutMs,
      'all nodes OK with a leader, every public address hosted once, every node a share',
    );
  }

  /**
   * waitSettled for a fresh cluster, except that a daemon that dies during start-up is started
   * once more (with its output on stderr): two clusters of ours starting at the same moment on
   * a loaded machine have been seen to lose a node at start. A second death is an error.
   */
  private async waitStarted(timeoutMs: number): Promise<void> {
    const restarted = new Set<number>();
    const all = this.nodes.map((n) => n.pnn);
    await this.waitFor(
      async () => {
        for (const n of this.nodes) {
          if (n.daemon === undefined || n.daemon.running) continue;
          if (restarted.has(n.pnn))
            throw new FaultClusterError(
              `node ${n.pnn}'s ctdbd exited twice:\n${this.diagnostics()}`,
            );
          restarted.add(n.pnn);
          process.stderr.write(
            `fault-cluster: node ${n.pnn}'s ctdbd exited during start-up; starting it again. Its output:\n${n.daemon.output().slice(-3000)}\n`,
          );
          this.start(n.pnn);
          return false;
        }
        return (
          (await this.healthyAmong(all)) &&
          (await this.eachAddressHostedOnce()) &&
          (await this.everyNodeHasShare())
        );
      },
      timeoutMs,
      'a new cluster: all nodes OK with a leader, every address hosted once, every node a share',
    );
  }

  /** Stops everything (by PID), removes the namespaces and the temp dir. */
  async destroy(): Promise<void> {
    for (const n of this.nodes) {
      n.daemon?.kill('SIGCONT');
      n.daemon?.kill('SIGKILL');
    }
    await this.etcd?.destroy();
    await this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One node's CTDB_BASE for Debian's ctdbd: as local_daemons.sh sets it up, plus 10.interface. */
function writeDebianNodeConfig(
  base: string,
  addresses: readonly string[],
  self: number,
  extraConf: string,
  extras: { publicAddresses: readonly string[]; clusterLock?: string },
): void {
  for (const d of ['db/volatile', 'db/persistent', 'db/state', 'events/legacy', 'run', 'var'])
    mkdirSync(join(base, d), { recursive: true });
  writeFileSync(join(base, 'nodes'), addresses.map((a) => `${a}\n`).join(''));
  writeFileSync(
    join(base, 'public_addresses'),
    extras.publicAddresses.map((l) => `${l}\n`).join(''),
  );
  copyFileSync(DEBIAN_FUNCTIONS, join(base, 'functions'));
  symlinkSync(DEBIAN_INTERFACE_SCRIPT, join(base, 'events', 'legacy', '10.interface.script'));
  writeFileSync(
    join(base, 'ctdb.conf'),
    [
      '[logging]',
      `\tlocation = file:${join(base, 'log.ctdb')}`,
      '\tlog level = NOTICE',
      '[cluster]',
      `\tnode address = ${addresses[self]}`,
      ...(extras.clusterLock === undefined ? [] : [`\tcluster lock = ${extras.clusterLock}`]),
      '[database]',
      `\tvolatile database directory = ${join(base, 'db', 'volatile')}`,
      `\tpersistent database directory = ${join(base, 'db', 'persistent')}`,
      `\tstate database directory = ${join(base, 'db', 'state')}`,
      LEGACY_CONF,
      extraConf,
    ].join('\n'),
  );
}
