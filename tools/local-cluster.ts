#!/usr/bin/env node
// `ctdb-local-cluster`: a CTDB cluster of N nodes (default 3) on this host, each node in its own
// network namespace (test/support/netlab.ts: a private bridge between the nodes, a public
// bridge towards a client namespace). Each node has its own CTDB_BASE under the state
// directory (./.state/cluster by default, or $CTDB_LOCAL_CLUSTER_DIR) and runs ctdbd in test
// mode, with its stdin held open by a `sleep` in the same process group, so the cluster keeps
// running after `up` returns. `cluster.json` in the state directory records the namespaces and
// process groups, which is how the later subcommands (and `down`) find everything.
//
//   ctdb-local-cluster up [-n N]        build, start, wait for all nodes OK with a leader
//   ctdb-local-cluster status           `ctdb status` on the first running node
//   ctdb-local-cluster ctdb NODE ARGS…  run `ctdb ARGS…` on node NODE
//   ctdb-local-cluster stop NODE        `ctdb shutdown` on the node
//   ctdb-local-cluster kill NODE        SIGKILL the node's ctdbd (a crash)
//   ctdb-local-cluster restart NODE     kill if running, then start it again
//   ctdb-local-cluster down             stop everything and remove the namespaces
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand, projectRoot } from '../runtime/paths/index.js';
import { Control } from '../runtime/protocol/controls.js';
import {
  DestNode,
  INVALID_GENERATION,
  NodeFlag,
  Operation,
  RecoveryMode,
  Srvid,
  UNKNOWN_PNN,
} from '../runtime/protocol/constants.js';
import { FrameParser } from '../runtime/protocol/framing.js';
import { decodePacket, encodeReqControl, type Packet } from '../runtime/protocol/packets.js';
import { nodeMapPayload, u32Payload, vnnMapPayload } from '../runtime/protocol/payloads.js';
import { NetLab, teardownNamespaces } from '../test/support/netlab.js';

export interface ClusterNode {
  readonly pnn: number;
  readonly ns: string;
  readonly address: string;
  readonly base: string;
  /** Process group of the node's `sleep | ctdbd` pipeline (0 when not running). */
  pgid: number;
}

export interface ClusterRegistry {
  readonly namespaces: string[];
  readonly client: string | undefined;
  readonly nodes: ClusterNode[];
}

export function stateDir(): string {
  return resolve(process.env.CTDB_LOCAL_CLUSTER_DIR ?? join(projectRoot(), '.state', 'cluster'));
}

/** The shipped eventscripts Debian enables by default; the others start disabled. */
export const ENABLED_BY_DEFAULT = ['00.ctdb', '01.reclock', '05.system', '10.interface'];

/**
 * Makes the package's shipped eventscripts the node's data dir (`$CTDB_BASE/share/events/legacy`
 * in test mode) and enables Debian's default four with the links `ctdb enablescript` makes, so
 * `ctdb enablescript 11.natgw` and `ctdb event script list legacy` work as on a real install.
 */
function installShippedScripts(base: string, enabled: readonly string[]): void {
  const shipped = realpathSync(join(projectRoot(), 'events', 'legacy'));
  mkdirSync(join(base, 'share', 'events'), { recursive: true });
  rmSync(join(base, 'share', 'events', 'legacy'), { recursive: true, force: true });
  symlinkSync(shipped, join(base, 'share', 'events', 'legacy'));
  for (const name of enabled) {
    const link = join(base, 'events', 'legacy', `${name}.script`);
    rmSync(link, { force: true });
    symlinkSync(join(shipped, `${name}.ts`), link);
  }
}

/** What a node's configuration may add beyond the nodes and the paths. */
export interface NodeConfigExtras {
  /** `public_addresses` lines, e.g. `10.78.0.101/24 eth1` (none by default). */
  readonly publicAddresses?: readonly string[];
  /** The `[cluster] cluster lock` setting: a file, or `!helper args` (none by default). */
  readonly clusterLock?: string;
}

/**
 * Writes one node's CTDB_BASE: nodes, ctdb.conf, public_addresses and event dirs, with
 * the shipped eventscripts `enabledScripts` enabled (Debian's default four unless told).
 */
export function writeNodeConfig(
  base: string,
  addresses: readonly string[],
  self: number,
  extraConf = '',
  enabledScripts: readonly string[] = ENABLED_BY_DEFAULT,
  extras: NodeConfigExtras = {},
): void {
  mkdirSync(join(base, 'events', 'legacy'), { recursive: true });
  installShippedScripts(base, enabledScripts);
  mkdirSync(join(base, 'run'), { recursive: true });
  mkdirSync(join(base, 'var'), { recursive: true });
  for (const db of ['volatile', 'persistent', 'state'])
    mkdirSync(join(base, 'db', db), { recursive: true });
  writeFileSync(join(base, 'nodes'), addresses.map((a) => `${a}\n`).join(''));
  // The node's own copy of the system files scripts edit (13.per_ip_routing's rt_tables), so a
  // node never writes the host's /etc (see nodeEnv's CTDB_SYS_ETCDIR).
  mkdirSync(join(base, 'sys-etc', 'iproute2'), { recursive: true });
  const rtTables = '/etc/iproute2/rt_tables';
  writeFileSync(
    join(base, 'sys-etc', 'iproute2', 'rt_tables'),
    existsSync(rtTables)
      ? readFileSync(rtTables)
      : '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n',
  );
  writeFileSync(
    join(base, 'public_addresses'),
    (extras.publicAddresses ?? []).map((l) => `${l}\n`).join(''),
  );
  writeFileSync(
    join(base, 'ctdb.conf'),
    [
      '[logging]',
      `\tlocation = file:${join(base, 'log.ctdb')}`,
      '\tlog level = NOTICE',
      '',
      '[cluster]',
      `\tnode address = ${addresses[self]}`,
      ...(extras.clusterLock === undefined ? [] : [`\tcluster lock = ${extras.clusterLock}`]),
      '',
      '[database]',
      `\tvolatile database directory = ${join(base, 'db', 'volatile')}`,
      `\tpersistent database directory = ${join(base, 'db', 'persistent')}`,
      `\tstate database directory = ${join(base, 'db', 'state')}`,
      '',
      extraConf,
    ].join('\n'),
  );
}

/**
 * The local cluster's public addresses: two per node on the public bridge (eth1), from
 * 10.78.0.101 up, so the client namespace (10.78.0.254) reaches them.
 */
export function defaultPublicAddresses(nodes: number): string[] {
  return Array.from({ length: 2 * nodes }, (_, i) => `10.78.0.${101 + i}/24 eth1`);
}

/** The environment every ctdb/ctdbd command of a node runs with. */
export function nodeEnv(base: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CTDB_TEST_MODE: 'yes', CTDB_BASE: base };
  env.CTDB_SYS_ETCDIR ??= join(base, 'sys-etc');
  // A socket path from the caller's shell would point every node at one daemon.
  delete env.CTDB_SOCKET;
  return env;
}

// ---------------------------------------------------------------------------------------------
// A tiny protocol probe, to see a node's state without depending on the `ctdb` tool.

export interface NodeProbe {
  readonly pnn: number;
  readonly flags: number[];
  readonly generation: number;
  readonly recmode: number;
  readonly leader: number;
}

/**
 * Asks a daemon for its node map, vnnmap, recovery mode and (unless `waitLeader` is false)
 * the next leader broadcast, which arrives within a second when there is a leader.
 */
export function probe(
  socketPath: string,
  timeoutMs = 2500,
  waitLeader = true,
): Promise<NodeProbe | undefined> {
  return new Promise((done) => {
    const s = connect(socketPath);
    const replies = new Map<number, Packet>();
    let leader = UNKNOWN_PNN;
    const finish = (v: NodeProbe | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      done(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const parser = new FrameParser({
      onFrame: (f) => {
        const p = decodePacket(f);
        if (p.operation === Operation.REQ_MESSAGE && p.srvid === Srvid.LEADER)
          leader = u32Payload.decode(p.data);
        if (p.operation === Operation.REPLY_CONTROL) replies.set(p.header.reqid, p);
        check();
      },
      onError: () => finish(undefined),
    });
    const check = (): void => {
      const pnn = replies.get(1);
      const nm = replies.get(2);
      const vm = replies.get(3);
      const rm = replies.get(4);
      if (pnn === undefined || nm === undefined || vm === undefined || rm === undefined) return;
      if (waitLeader && leader === UNKNOWN_PNN) return;
      if (
        pnn.operation !== Operation.REPLY_CONTROL ||
        nm.operation !== Operation.REPLY_CONTROL ||
        vm.operation !== Operation.REPLY_CONTROL ||
        rm.operation !== Operation.REPLY_CONTROL
      )
        return;
      finish({
        pnn: pnn.status,
        flags: nodeMapPayload.decode(nm.data).nodes.map((n) => n.flags),
        generation: vnnMapPayload.decode(vm.data).generation,
        recmode: rm.status,
        leader,
      });
    };
    s.on('data', (c: Buffer) => parser.push(c));
    s.on('error', () => finish(undefined));
    s.on('connect', () => {
      const ask = (reqid: number, opcode: number, srvid = 0n): void => {
        s.write(encodeReqControl({ destnode: DestNode.CURRENT_NODE, reqid, opcode, srvid }));
      };
      ask(5, Control.REGISTER_SRVID, Srvid.LEADER);
      ask(1, Control.GET_PNN);
      ask(2, Control.GET_NODEMAP);
      ask(3, Control.GETVNNMAP);
      ask(4, Control.GET_RECMODE);
    });
  });
}

/** True when the probe shows every non-deleted node OK, a leader and a settled recovery. */
export function healthy(p: NodeProbe | undefined, expectNodes: number): boolean {
  if (p === undefined) return false;
  const live = p.flags.filter((f) => (f & NodeFlag.DELETED) === 0);
  return (
    live.length === expectNodes &&
    live.every((f) => f === 0) &&
    p.generation !== INVALID_GENERATION &&
    p.recmode === RecoveryMode.NORMAL &&
    p.leader !== UNKNOWN_PNN
  );
}

export function socketOf(base: string): string {
  return join(base, 'run', 'ctdbd.socket');
}

// ---------------------------------------------------------------------------------------------
// The launcher

function registryFile(): string {
  return join(stateDir(), 'cluster.json');
}

function loadRegistry(): ClusterRegistry | undefined {
  try {
    return JSON.parse(readFileSync(registryFile(), 'utf8')) as ClusterRegistry;
  } catch {
    return undefined;
  }
}

function saveRegistry(r: ClusterRegistry): void {
  writeFileSync(registryFile(), `${JSON.stringify(r, null, 2)}\n`);
}

function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `sleep | ctdbd -i` in the node's namespace as a new process group. */
function startNode(node: ClusterNode): void {
  const ctdbd = helperCommand('ctdbd');
  const log = join(node.base, 'log.ctdb');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      node.ns,
      'sh',
      '-c',
      'log="$1"; shift; sleep 2147483647 | exec "$@" -i 2>>"$log" >>"$log"',
      'sh',
      log,
      ...ctdbd,
    ],
    { detached: true, stdio: 'ignore', env: nodeEnv(node.base) },
  );
  child.unref();
  node.pgid = child.pid ?? 0;
}

function killNode(node: ClusterNode): void {
  if (groupAlive(node.pgid)) {
    try {
      process.kill(-node.pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  node.pgid = 0;
}

/** Runs the `ctdb` tool on a node (ours), with the node's CTDB_BASE. */
function runCtdb(node: ClusterNode, args: readonly string[]): number {
  const ctdb = helperCommand('ctdb');
  const r = spawnSync('ip', ['netns', 'exec', node.ns, ...ctdb, ...args], {
    stdio: 'inherit',
    env: nodeEnv(node.base),
  });
  return r.status ?? 1;
}

async function waitHealthy(reg: ClusterRegistry, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const live = reg.nodes.length;
  while (Date.now() < deadline) {
    const probes = await Promise.all(reg.nodes.map((n) => probe(socketOf(n.base), 1500)));
    if (probes.every((p) => healthy(p, live))) return true;
    await sleep(200);
  }
  return false;
}

function nodeArg(reg: ClusterRegistry, text: string | undefined): ClusterNode {
  const n = Number(text);
  const node = reg.nodes[n];
  if (text === undefined || !Number.isInteger(n) || node === undefined)
    throw new UsageError(`no such node "${text ?? ''}" (0..${reg.nodes.length - 1})`);
  return node;
}

class UsageError extends Error {
  override name = 'UsageError';
}

function requireRegistry(): ClusterRegistry {
  const reg = loadRegistry();
  if (reg === undefined)
    throw new UsageError(`no cluster in ${stateDir()} - run "ctdb-local-cluster up" first`);
  return reg;
}

async function up(count: number): Promise<number> {
  const existing = loadRegistry();
  if (existing !== undefined) {
    process.stderr.write(`A cluster is already up in ${stateDir()}; "down" removes it.\n`);
    return 1;
  }
  mkdirSync(stateDir(), { recursive: true });
  const t0 = Date.now();
  const lab = await NetLab.create({ nodes: count, client: true, label: 'clu', persistent: true });
  const addresses = lab.nodes.map((n) => n.privateAddress!);
  const reg: ClusterRegistry = {
    namespaces: [...lab.namespaceNames()],
    client: lab.client?.ns,
    nodes: lab.nodes.map((h, i) => ({
      pnn: i,
      ns: h.ns,
      address: addresses[i]!,
      base: join(stateDir(), `node.${i}`),
      pgid: 0,
    })),
  };
  saveRegistry(reg);
  const publicAddresses = defaultPublicAddresses(count);
  const clusterLock = join(stateDir(), 'cluster.lock');
  for (const n of reg.nodes) {
    rmSync(n.base, { recursive: true, force: true });
    writeNodeConfig(n.base, addresses, n.pnn, '', ENABLED_BY_DEFAULT, {
      publicAddresses,
      clusterLock,
    });
  }
  const t1 = Date.now();
  for (const n of reg.nodes) startNode(n);
  saveRegistry(reg);
  const ok = await waitHealthy(reg, 60_000);
  const t2 = Date.now();
  process.stdout.write(
    `${count} nodes in ${stateDir()} (namespaces ${reg.namespaces.join(' ')}); ` +
      `network ${((t1 - t0) / 1000).toFixed(1)} s, start to all OK ${((t2 - t1) / 1000).toFixed(1)} s\n`,
  );
  if (!ok) {
    process.stderr.write('The cluster did not become healthy within 60 s; see the node logs:\n');
    for (const n of reg.nodes) process.stderr.write(`  ${join(n.base, 'log.ctdb')}\n`);
    return 1;
  }
  return runCtdb(reg.nodes[0]!, ['status']);
}

function down(): number {
  const reg = loadRegistry();
  if (reg === undefined) {
    process.stdout.write('No cluster is up.\n');
    return 0;
  }
  for (const n of reg.nodes) killNode(n);
  teardownNamespaces(reg.namespaces);
  rmSync(registryFile(), { force: true });
  process.stdout.write(`Cluster in ${stateDir()} is down.\n`);
  return 0;
}

async function stopNode(reg: ClusterRegistry, node: ClusterNode): Promise<number> {
  if (!groupAlive(node.pgid)) {
    process.stderr.write(`Node ${node.pnn} is not running\n`);
    return 1;
  }
  runCtdb(node, ['shutdown']);
  for (let i = 0; i < 100 && existsSync(socketOf(node.base)); i++) await sleep(100);
  killNode(node);
  saveRegistry(reg);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': {
      let n = 3;
      if (rest[0] === '-n') {
        n = Number(rest[1]);
        if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError('-n takes 1..32');
      }
      return up(n);
    }
    case 'down':
      return down();
    case 'status': {
      const reg = requireRegistry();
      const node = reg.nodes.find((n) => groupAlive(n.pgid)) ?? reg.nodes[0]!;
      return runCtdb(node, ['status']);
    }
    case 'ctdb': {
      const reg = requireRegistry();
      return runCtdb(nodeArg(reg, rest[0]), rest.slice(1));
    }
    case 'stop': {
      const reg = requireRegistry();
      return stopNode(reg, nodeArg(reg, rest[0]));
    }
    case 'kill': {
      const reg = requireRegistry();
      killNode(nodeArg(reg, rest[0]));
      saveRegistry(reg);
      return 0;
    }
    case 'restart': {
      const reg = requireRegistry();
      const node = nodeArg(reg, rest[0]);
      killNode(node);
      await sleep(200);
      startNode(node);
      saveRegistry(reg);
      return 0;
    }
    default:
      throw new UsageError(
        'usage: ctdb-local-cluster up [-n N] | status | ctdb NODE ARGS... | stop NODE | kill NODE | restart NODE | down',
      );
  }
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  resolve(process.argv[1]).replace(/\.(ts|js)$/, '') ===
    fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '');

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `ctdb-local-cluster: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
