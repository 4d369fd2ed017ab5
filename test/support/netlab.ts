// Network-namespace lab: N node namespaces joined by a private bridge, plus a public bridge
// towards a client namespace. Both bridges live in a hub namespace of their own, so nothing
// is created in the host's namespace. Every namespace name carries a per-run id, so two runs
// never collide, and everything a lab creates is torn down by `destroy()`, by the exit and
// signal handlers of this process, and — if this process is killed with SIGKILL — by a
// detached reaper that notices the closed pipe at once and removes what is left.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where each live lab records what it created, for the reaper and for stale-run sweeping. */
export const LAB_REGISTRY_DIR = '/run/ctdb-ts-netlab';

export interface NetLabOptions {
  /** Number of node namespaces (default 3). */
  nodes?: number;
  /** Create a client namespace on the public bridge (default true). */
  client?: boolean;
  /** First three octets of the private IPv4 network (default `10.77.0`): node i gets `.i+1`. */
  privatePrefix?: string;
  /** First three octets of the public IPv4 network (default `10.78.0`): the client gets `.254`. */
  publicPrefix?: string;
  /** Give every node a fixed address on its public interface as well (default false). */
  nodePublicAddresses?: boolean;
  /** Add IPv6 addresses (`fd77::i+1/64` private, `fd78::fe/64` for the client) (default false). */
  ipv6?: boolean;
  /** Short label put into namespace names to tell runs apart in `ip netns list`. */
  label?: string;
  /**
   * Leave the lab in place when this process exits (default false): no reaper, no exit or
   * signal handlers, and no entry in the shared registry, so other runs' stale-lab sweeps
   * leave it alone. The caller records `namespaceNames()` and later removes them with
   * `teardownNamespaces` (the local-cluster launcher does this).
   */
  persistent?: boolean;
}

export type Network = 'private' | 'public';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep stdin open as a pipe (default: stdin is /dev/null). */
  stdinPipe?: boolean;
}

/** Thrown when a command the lab itself needs (ip, sysctl) fails. */
export class LabCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${argv.join(' ')} exited ${result.code ?? result.signal}: ${result.stderr.trim()}`);
    this.name = 'LabCommandError';
  }
}

/** True when this process may create network namespaces (root with `ip netns` working). */
export function canCreateNamespaces(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'needs root to create network namespaces' };
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error !== undefined)
    return { ok: false, reason: `iproute2 'ip' unavailable: ${probe.error.message}` };
  if (probe.status !== 0)
    return { ok: false, reason: `ip netns unavailable: ${probe.stderr.trim()}` };
  return { ok: true };
}

/** A process started inside a namespace, with its output captured. */
export class LabProcess {
  readonly pid: number;
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(
    private readonly child: ChildProcess,
    readonly argv: readonly string[],
  ) {
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    this.pid = child.pid;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  /** stdout and stderr so far, merged in arrival order. */
  output(): string {
    return this.out;
  }

  get running(): boolean {
    return !this.done;
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.done) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Waits until the output matches `pattern`; rejects after `timeoutMs` or if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.match(pattern);
      if (m !== null) return m;
      if (this.done)
        throw new Error(
          `${this.argv.join(' ')} exited before printing ${pattern}; output:\n${this.out}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; output:\n${this.out}`);
      await sleep(20);
    }
  }
}

/** One namespace of a lab: a cluster node, the client, or the hub holding the bridges. */
export class LabHost {
  constructor(
    private readonly lab: NetLab,
    /** The namespace name (`ip netns exec <ns> …`). */
    readonly ns: string,
    /** A short role name: `node0`, `client`, `hub`. */
    readonly name: string,
    /** Address on the private network (nodes only). */
    readonly privateAddress: string | undefined,
    /** Address on the public network, if it has one. */
    readonly publicAddress: string | undefined,
  ) {}

  /** Interface towards the private bridge (nodes only). */
  readonly privateIface = 'eth0';
  /** Interface towards the public bridge (nodes and client). */
  get publicIface(): string {
    return this.name === 'client' ? 'eth0' : 'eth1';
  }

  /** Runs a command to completion inside this namespace. */
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return runCommand(['ip', 'netns', 'exec', this.ns, ...argv], opts);
  }

  /** Like `run`, but throws a LabCommandError on a non-zero exit. */
  async check(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(argv, opts);
    if (r.code !== 0) throw new LabCommandError(argv, r);
    return r.stdout;
  }

  /** Starts a long-lived process inside this namespace; the lab kills it on teardown. */
  spawn(argv: readonly string[], opts: SpawnOptions = {}): LabProcess {
    const [cmd, ...args] = ['ip', 'netns', 'exec', this.ns, ...argv];
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.stdinPipe === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const proc = new LabProcess(child, argv);
    this.lab.track(proc);
    return proc;
  }
}

interface RegistryEntry {
  owner: number;
  namespaces: string[];
  pids: number[];
}

const liveLabs = new Set<NetLab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const lab of liveLabs) lab.destroySync();
      process.kill(process.pid, sig);
    });
  }
}

/** A set of namespaces and links created together and torn down together. */
export class NetLab {
  readonly id: string;
  readonly hub: LabHost;
  readonly nodes: LabHost[] = [];
  readonly client: LabHost | undefined;
  private readonly processes = new Set<LabProcess>();
  private readonly namespaces: string[] = [];
  private reaper: ChildProcess | undefined;
  private destroyed = false;

  private constructor(private readonly opts: Required<NetLabOptions>) {
    this.id = `${opts.label}${randomBytes(3).toString('hex')}`;
    this.hub = new LabHost(this, `${this.id}-hub`, 'hub', undefined, undefined);
    for (let i = 0; i < opts.nodes; i++) {
      const pub = opts.nodePublicAddresses ? `${opts.publicPrefix}.${i + 1}` : undefined;
      this.nodes.push(
        new LabHost(this, `${this.id}-n${i}`, `node${i}`, `${opts.privatePrefix}.${i + 1}`, pub),
      );
    }
    this.client = opts.client
      ? new LabHost(this, `${this.id}-cl`, 'client', undefined, `${opts.publicPrefix}.254`)
      : undefined;
  }

  /** Creates the namespaces, bridges, veth pairs and addresses. */
  static async create(options: NetLabOptions = {}): Promise<NetLab> {
    const opts: Required<NetLabOptions> = {
      nodes: options.nodes ?? 3,
      client: options.client ?? true,
      privatePrefix: options.privatePrefix ?? '10.77.0',
      publicPrefix: options.publicPrefix ?? '10.78.0',
      nodePublicAddresses: options.nodePublicAddresses ?? false,
      ipv6: options.ipv6 ?? false,
      label: (options.label ?? 'ctl').replace(/[^a-z0-9]/gi, '').slice(0, 6),
      persistent: options.persistent ?? false,
    };
    const can = canCreateNamespaces();
    if (!can.ok) throw new Error(can.reason);
    sweepStaleLabs();
    const lab = new NetLab(opts);
    if (!opts.persistent) {
      installExitHandlers();
      liveLabs.add(lab);
    }
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Every host that is a cluster node or the client (not the hub). */
  get hosts(): LabHost[] {
    return this.client === undefined ? [...this.nodes] : [...this.nodes, this.client];
  }

  private async addNamespace(ns: string): Promise<void> {
    await ipCheck(['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.writeRegistry();
    await ipCheck(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private async build(): Promise<void> {
    await this.addNamespace(this.hub.ns);
    if (!this.opts.persistent) this.startReaper();
    for (const br of ['brpriv', 'brpub']) {
      await ipCheck(['-n', this.hub.ns, 'link', 'add', br, 'type', 'bridge']);
      await ipCheck(['-n', this.hub.ns, 'link', 'set', br, 'up']);
    }
    for (const [i, node] of this.nodes.entries()) {
      await this.addNamespace(node.ns);
      await this.plug(node, `p${i}`, 'brpriv', node.privateIface);
      await this.plug(node, `u${i}`, 'brpub', node.publicIface);
      await ipCheck([
        '-n',
        node.ns,
        'addr',
        'add',
        `${node.privateAddress}/24`,
        'dev',
        node.privateIface,
      ]);
      if (node.publicAddress !== undefined) {
        await ipCheck([
          '-n',
          node.ns,
          'addr',
          'add',
          `${node.publicAddress}/24`,
          'dev',
          node.publicIface,
        ]);
      }
      if (this.opts.ipv6) {
        await ipCheck([
          '-n',
          node.ns,
          'addr',
          'add',
          `fd77::${i + 1}/64`,
          'dev',
          node.privateIface,
          'nodad',
        ]);
      }
    }
    if (this.client !== undefined) {
      await this.addNamespace(this.client.ns);
      await this.plug(this.client, 'cl', 'brpub', this.client.publicIface);
      await ipCheck([
        '-n',
        this.client.ns,
        'addr',
        'add',
        `${this.client.publicAddress}/24`,
        'dev',
        'eth0',
      ]);
      if (this.opts.ipv6) {
        await ipCheck(['-n', this.client.ns, 'addr', 'add', 'fd78::fe/64', 'dev', 'eth0', 'nodad']);
      }
    }
  }

  /** Creates a veth pair: `hubSide` on `bridge` in the hub, `iface` inside `host`. */
  private async plug(host: LabHost, hubSide: string, bridge: string, iface: string): Promise<void> {
    await ipCheck([
      '-n',
      this.hub.ns,
      'link',
      'add',
      hubSide,
      'type',
      'veth',
      'peer',
      'name',
      iface,
      'netns',
      host.ns,
    ]);
    await ipCheck(['-n', this.hub.ns, 'link', 'set', hubSide, 'master', bridge, 'up']);
    await ipCheck(['-n', host.ns, 'link', 'set', iface, 'up']);
  }

  /** The hub-side name of a host's veth on a network; setting it down drops the host's carrier. */
  hubPort(host: LabHost, net: Network): string {
    if (host === this.client) return 'cl';
    const i = this.nodes.indexOf(host);
    if (i < 0) throw new Error(`${host.name} is not in lab ${this.id}`);
    return `${net === 'private' ? 'p' : 'u'}${i}`;
  }

  /** Takes a host's link on one network down or up from the bridge side (the host sees carrier loss). */
  async setLink(host: LabHost, net: Network, up: boolean): Promise<void> {
    await ipCheck(['-n', this.hub.ns, 'link', 'set', this.hubPort(host, net), up ? 'up' : 'down']);
  }

  /**
   * Splits the private network: hosts in `isolated` move to a bridge of their own, so they
   * reach each other but not the rest. `heal()` joins everything again.
   */
  async partition(isolated: readonly LabHost[]): Promise<void> {
    await ipExists(['-n', this.hub.ns, 'link', 'add', 'brsplit', 'type', 'bridge']);
    await ipCheck(['-n', this.hub.ns, 'link', 'set', 'brsplit', 'up']);
    for (const h of isolated)
      await ipCheck([
        '-n',
        this.hub.ns,
        'link',
        'set',
        this.hubPort(h, 'private'),
        'master',
        'brsplit',
      ]);
  }

  async heal(): Promise<void> {
    for (const h of this.nodes)
      await ipCheck([
        '-n',
        this.hub.ns,
        'link',
        'set',
        this.hubPort(h, 'private'),
        'master',
        'brpriv',
      ]);
  }

  /** Registers a process so teardown kills it. Called by LabHost.spawn. */
  track(proc: LabProcess): void {
    this.processes.add(proc);
    this.writeRegistry();
    void proc.exited.then(() => this.processes.delete(proc));
  }

  /** The names of every namespace this lab created (for leak checks). */
  namespaceNames(): readonly string[] {
    return [...this.namespaces];
  }

  /** Kills every process in the lab's namespaces and deletes the namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const p of this.processes) p.kill('SIGKILL');
    await Promise.race([Promise.all([...this.processes].map((p) => p.exited)), sleep(2000)]);
    this.destroySync();
  }

  /** Synchronous teardown, safe to call from an exit handler. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveLabs.delete(this);
    teardown({
      owner: process.pid,
      namespaces: this.namespaces,
      pids: [...this.processes].map((p) => p.pid),
    });
    rmSync(this.registryFile(), { force: true });
    this.reaper?.kill('SIGKILL');
  }

  private registryFile(): string {
    return join(LAB_REGISTRY_DIR, `${this.id}.json`);
  }

  private writeRegistry(): void {
    if (this.destroyed || this.opts.persistent) return;
    mkdirSync(LAB_REGISTRY_DIR, { recursive: true });
    const entry: RegistryEntry = {
      owner: process.pid,
      namespaces: this.namespaces,
      pids: [...this.processes].map((p) => p.pid),
    };
    writeFileSync(this.registryFile(), JSON.stringify(entry));
  }

  /**
   * Starts a detached shell that blocks reading a pipe from this process. The read returns
   * (EOF) the moment this process dies, however it dies; the shell then kills whatever runs in
   * the lab's namespaces and deletes them, as recorded in the registry file.
   */
  private startReaper(): void {
    const file = this.registryFile();
    const script = [
      'read -r _ || true',
      `[ -f "${file}" ] || exit 0`,
      `for ns in $(sed -e 's/.*"namespaces":\\[\\([^]]*\\)\\].*/\\1/' -e 's/[",]/ /g' "${file}"); do`,
      '  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done',
      'done',
      `for ns in $(sed -e 's/.*"namespaces":\\[\\([^]]*\\)\\].*/\\1/' -e 's/[",]/ /g' "${file}"); do`,
      '  ip netns del "$ns" 2>/dev/null',
      'done',
      `rm -f "${file}"`,
    ].join('\n');
    const reaper = spawn('sh', ['-c', script], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    reaper.unref();
    // Keep our end of the pipe open but do not let it hold the event loop.
    (reaper.stdin as Socket | null)?.unref();
    this.reaper = reaper;
  }
}

function teardown(entry: RegistryEntry): void {
  for (const pid of entry.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of entry.namespaces) {
    // A namespace is not removed while processes live in it; kill them all, children included.
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of [...entry.namespaces].reverse())
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** Kills every process in the given namespaces and deletes them (for persistent labs). */
export function teardownNamespaces(namespaces: readonly string[]): void {
  teardown({ owner: process.pid, namespaces: [...namespaces], pids: [] });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what earlier runs left behind if their owning process is gone. */
export function sweepStaleLabs(): number {
  let swept = 0;
  let files: string[];
  try {
    files = readdirSync(LAB_REGISTRY_DIR);
  } catch {
    return 0;
  }
  for (const name of files.filter((f) => f.endsWith('.json'))) {
    const file = join(LAB_REGISTRY_DIR, name);
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as RegistryEntry;
      if (pidAlive(entry.owner)) continue;
      teardown(entry);
      rmSync(file, { force: true });
      swept++;
    } catch {
      rmSync(file, { force: true });
    }
  }
  return swept;
}

/** Runs a command with a time limit, capturing its output. */
export function runCommand(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function ipCheck(args: readonly string[]): Promise<void> {
  const r = await runCommand(['ip', ...args]);
  if (r.code !== 0) throw new LabCommandError(['ip', ...args], r);
}

/** Like ipCheck, but an "already exists" answer is fine. */
async function ipExists(args: readonly string[]): Promise<void> {
  const r = await runCommand(['ip', ...args]);
  if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new LabCommandError(['ip', ...args], r);
}

/** Lists the namespaces on the machine whose names start with `prefix` (for leak checks). */
export function namespacesWithPrefix(prefix: string): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}
