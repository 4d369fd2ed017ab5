// A stand-in for a running CTDB cluster, for driving the group eventscripts (11.natgw,
// 13.per_ip_routing, 91.lvs) in NetLab node namespaces.
//
// Why a fake: the scripts ask ctdbd about the cluster through the `ctdb` command (`pnn`,
// `-X nodestatus`, `ip -v -X`, `gratarp`), and a full ctdbd cluster cannot be started on
// demand here yet. So each node gets a small `ctdb` shell script that answers from state files
// the test writes: one cluster-wide file of node states and one of public address owners. The
// test changes those files to simulate a node failing, then runs the events in each node's
// namespace in the order ctdbd would (startup, then ipreallocated on every node, …). Everything
// else is real: addresses, routes, rules and iptables inside the namespaces, and the real
// `ctdb_natgw` / `ctdb_lvs` helpers (tools/*.ts) choosing leaders from those node states.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LabHost, NetLab } from '../../support/netlab.js';
import { HookServer, type EventResult } from '../../scripts/support/script-host.js';

export const ROOT = resolve(import.meta.dirname, '../../..');

/** A node's state as the `ctdb nodestatus` flags show it. */
export type NodeFlag = 'ok' | 'unhealthy' | 'disabled' | 'stopped' | 'banned' | 'disconnected';

const FAKE_CTDB = `#!/bin/sh
# Fake ctdb: cluster state in $FAKE_CLUSTER_DIR (nodes: "PNN IP FLAG", ips: "IP PNN IFACE"),
# this node's PNN in $FAKE_NODE_DIR/pnn. Calls are logged to $FAKE_NODE_DIR/calls.
c="$FAKE_CLUSTER_DIR"
n="$FAKE_NODE_DIR"
me=$(cat "$n/pnn")
echo "$*" >>"$n/calls"
nodestatus() {
  echo "|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|"
  awk -v me="$me" -v all="$1" '
    NF >= 3 && (all == "all" || $1 == me) {
      d = ($3 == "disconnected"); b = ($3 == "banned"); s = ($3 == "stopped")
      printf "|%s|%s|%d|0|%d|%d|%d|%d|%d|0|%s|\\n", $1, $2, d, b, ($3 == "disabled"),
        ($3 == "unhealthy"), s, (d || b || s), ($1 == me ? "Y" : "N")
    }' "$c/nodes"
}
ips() {
  echo "|Public IP|Node|ActiveInterface|AvailableInterfaces|ConfiguredInterfaces|"
  awk -v me="$me" 'NF >= 3 { printf "|%s|%s|%s|%s|%s|\\n", $1, $2, ($2 == me ? $3 : ""), $3, $3 }' "$c/ips" 2>/dev/null
}
case "$*" in
pnn) echo "$me" ;;
"-X nodestatus") nodestatus me ;;
"-X nodestatus all") nodestatus all ;;
"ip -v -X"|"-X ip -v") ips ;;
"-X ip") echo "|Public IP|Node|"; awk 'NF >= 2 { printf "|%s|%s|\\n", $1, $2 }' "$c/ips" 2>/dev/null ;;
gratarp*|tickle*|addtickle*|deltickle*) exit 0 ;;
*) echo "fake ctdb: unsupported: $*" >&2; exit 1 ;;
esac
`;

function helperWrapper(tool: string): string {
  return `#!/bin/sh\ncd '${ROOT}' && exec '${process.execPath}' --import tsx '${join(ROOT, 'tools', tool)}.ts' "$@"\n`;
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** One node's private CTDB installation: CTDB_BASE, script vardir, fake ctdb, logs. */
export class FakeNode {
  readonly dir: string;
  readonly base: string;
  readonly varDir: string;
  readonly etcDir: string;
  private servers = new Map<string, HookServer>();

  constructor(
    readonly cluster: FakeCluster,
    readonly pnn: number,
    readonly host: LabHost,
  ) {
    this.dir = join(cluster.dir, `node${pnn}`);
    this.base = join(this.dir, 'etc-ctdb');
    this.varDir = join(this.dir, 'scripts');
    this.etcDir = join(this.dir, 'etc');
    for (const d of [join(this.base, 'events/legacy'), this.varDir, join(this.etcDir, 'iproute2')])
      mkdirSync(d, { recursive: true });
    writeFileSync(join(this.dir, 'pnn'), `${pnn}\n`);
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CTDB_BASE: this.base,
      CTDB_SCRIPT_VARDIR: this.varDir,
      CTDB_SYS_ETCDIR: this.etcDir,
      CTDB_HELPER_BINDIR: this.cluster.helperDir,
      CTDB: this.cluster.ctdb,
      FAKE_CLUSTER_DIR: this.cluster.dir,
      FAKE_NODE_DIR: this.dir,
      CTDB_DEBUGLEVEL: 'ERROR',
      ...this.cluster.extraEnv,
    };
  }

  /** Writes a file under this node's CTDB_BASE (options files, public_addresses). */
  write(rel: string, text: string): void {
    writeFileSync(join(this.base, rel), text);
  }

  read(rel: string): string {
    return readFileSync(join(this.dir, rel), 'utf8');
  }

  /** The fake ctdb's call log. */
  calls(): string[] {
    try {
      return this.read('calls').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Runs EVENT of events/legacy/SCRIPT.ts in this node's namespace (one process per script). */
  async run(script: string, event: string, ...words: string[]): Promise<EventResult> {
    let server = this.servers.get(script);
    if (server === undefined) {
      const link = join(this.base, 'events/legacy', `${script}.ts`);
      symlinkSync(join(ROOT, 'events/legacy', `${script}.ts`), link);
      server = await HookServer.start(script, this.env(), this.host, link);
      this.servers.set(script, server);
    }
    return server.run(event, ...words);
  }

  async stop(): Promise<void> {
    for (const s of this.servers.values()) await s.stop();
    this.servers.clear();
  }
}

/** The shared state of the fake cluster and its nodes, one per NetLab node. */
export class FakeCluster {
  readonly dir: string;
  readonly helperDir: string;
  readonly ctdb: string;
  readonly nodes: FakeNode[];
  /** Added to every node's environment (set before the first event runs). */
  extraEnv: Record<string, string> = {};

  constructor(
    readonly lab: NetLab,
    label: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `h8-${label}-`));
    this.helperDir = join(this.dir, 'helpers');
    mkdirSync(this.helperDir);
    this.ctdb = join(this.helperDir, 'ctdb');
    writeExecutable(this.ctdb, FAKE_CTDB);
    writeExecutable(join(this.helperDir, 'ctdb_natgw'), helperWrapper('ctdb_natgw'));
    writeExecutable(join(this.helperDir, 'ctdb_lvs'), helperWrapper('ctdb_lvs'));
    this.nodes = lab.nodes.map((h, i) => new FakeNode(this, i, h));
    this.setStates(this.nodes.map(() => 'ok'));
  }

  /** Sets every node's state (index = PNN). */
  setStates(flags: readonly NodeFlag[]): void {
    const lines = this.nodes.map((n, i) => `${n.pnn} ${n.host.privateAddress} ${flags[i] ?? 'ok'}`);
    writeFileSync(join(this.dir, 'nodes'), `${lines.join('\n')}\n`);
  }

  /** Sets the public address table: IP → hosting PNN (-1 = unhosted) and interface. */
  setIps(rows: readonly { ip: string; pnn: number; iface: string }[]): void {
    writeFileSync(join(this.dir, 'ips'), rows.map((r) => `${r.ip} ${r.pnn} ${r.iface}\n`).join(''));
  }

  /** Writes a file shared by every node (e.g. a group nodes file) and returns its path. */
  writeShared(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Writes the same file under every node's CTDB_BASE. */
  writeAll(rel: string, text: string): void {
    for (const n of this.nodes) n.write(rel, text);
  }

  /** Runs EVENT on the given nodes one after the other, as ctdbd's takeover run does. */
  async runOn(
    nodes: readonly FakeNode[],
    script: string,
    event: string,
    ...words: string[]
  ): Promise<EventResult[]> {
    const out: EventResult[] = [];
    for (const n of nodes) out.push(await n.run(script, event, ...words));
    return out;
  }

  async cleanup(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Pings DEST from HOST once (up to 3 tries, 1 s each); true when a reply came. */
export async function pings(host: LabHost, dest: string, from?: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    const r = await host.run(
      ['ping', '-c', '1', '-W', '1', ...(from === undefined ? [] : ['-I', from]), dest],
      { timeoutMs: 5000 },
    );
    if (r.code === 0) return true;
  }
  return false;
}
