// A 3-node (by default) CTDB cluster for tests: one daemon per NetLab node namespace, each with
// its own CTDB_BASE in CTDB_TEST_MODE (so all paths live under that directory) and its own
// private address, so port 4379 never collides with anything else on the host. The daemon under
// test is a parameter: Debian's /usr/sbin/ctdbd today, our ctdbd later. Its Unix socket is a
// file, so clients on the host (Debian's /usr/bin/ctdb, ours) reach it with CTDB_SOCKET.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetLab, runCommand, type LabProcess, type RunResult } from './netlab.js';

export const DEBIAN_CTDBD_PATH = '/usr/sbin/ctdbd';
export const DEBIAN_CTDB_PATH = '/usr/bin/ctdb';

/** How to start the daemon under test for one node. */
export interface DaemonUnderTest {
  readonly name: string;
  /** argv run inside the node's namespace (CTDB_BASE and CTDB_TEST_MODE are set in env). */
  argv(node: ClusterNode): string[];
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
}

export const debianCtdbd: DaemonUnderTest = {
  name: 'debian-ctdbd',
  // -i: stay in the foreground. In test mode ctdbd exits when its stdin closes, so the
  // harness keeps a pipe open and closing it (or killing the process) stops the node.
  argv: () => [DEBIAN_CTDBD_PATH, '-i'],
  unavailable: () =>
    existsSync(DEBIAN_CTDBD_PATH) ? undefined : `${DEBIAN_CTDBD_PATH} is not installed`,
};

/** Our ctdbd (tools/ctdbd.ts, run through tsx), for the same tests once it exists. */
export const ourCtdbd: DaemonUnderTest = {
  name: 'ctdb-ts ctdbd',
  argv: () => [
    process.execPath,
    '--import',
    'tsx',
    join(import.meta.dirname, '../../tools/ctdbd.ts'),
    '-i',
  ],
  unavailable: () =>
    existsSync(join(import.meta.dirname, '../../tools/ctdbd.ts'))
      ? undefined
      : 'tools/ctdbd.ts does not exist yet',
};

/** The daemon named by $CTDB_TEST_DAEMON (`debian`, the default, or `ours`). */
export function daemonFromEnv(env: NodeJS.ProcessEnv = process.env): DaemonUnderTest {
  return env.CTDB_TEST_DAEMON === 'ours' ? ourCtdbd : debianCtdbd;
}

export interface ClusterNode {
  readonly pnn: number;
  readonly base: string;
  readonly address: string;
  readonly socket: string;
  process: LabProcess | undefined;
}

export interface ClusterOptions {
  readonly daemon?: DaemonUnderTest;
  readonly nodes?: number;
  /** Short label for namespace names. */
  readonly label?: string;
  /** Extra `ctdb.conf` lines appended to every node's config. */
  readonly extraConfig?: string;
  /** Give up waiting for a healthy cluster after this long (default 60 s). */
  readonly readyTimeoutMs?: number;
}

/** Why a Debian-ctdbd cluster cannot run here, or undefined. */
export function debianClusterUnavailable(
  daemon: DaemonUnderTest = debianCtdbd,
): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!existsSync(DEBIAN_CTDB_PATH)) return `${DEBIAN_CTDB_PATH} is not installed`;
  return daemon.unavailable();
}

export class CtdbCluster {
  readonly nodes: ClusterNode[] = [];

  private constructor(
    readonly lab: NetLab,
    readonly dir: string,
    readonly daemon: DaemonUnderTest,
  ) {}

  static async start(opts: ClusterOptions = {}): Promise<CtdbCluster> {
    const daemon = opts.daemon ?? debianCtdbd;
    const count = opts.nodes ?? 3;
    const lab = await NetLab.create({ nodes: count, client: false, label: opts.label ?? 'ctdb' });
    const dir = mkdtempSync(join(tmpdir(), 'ctdb-cluster-'));
    const cluster = new CtdbCluster(lab, dir, daemon);
    try {
      const addresses = lab.nodes.map((n) => n.privateAddress!);
      for (const [pnn, address] of addresses.entries()) {
        const base = join(dir, `node.${pnn}`);
        writeNodeConfig(base, address, addresses, opts.extraConfig ?? '');
        cluster.nodes.push({
          pnn,
          base,
          address,
          socket: join(base, 'run', 'ctdbd.socket'),
          process: undefined,
        });
      }
      for (const node of cluster.nodes) cluster.startNode(node.pnn);
      await cluster.waitHealthy(opts.readyTimeoutMs ?? 60_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The environment a client needs to reach node `pnn`'s daemon. */
  env(pnn: number): NodeJS.ProcessEnv {
    const node = this.node(pnn);
    return {
      ...process.env,
      CTDB_BASE: node.base,
      CTDB_TEST_MODE: 'yes',
      CTDB_SOCKET: node.socket,
      // Keep the tool in our process group so test teardown can reach it.
      CTDB_TOOL_SETPGID: '1',
    };
  }

  node(pnn: number): ClusterNode {
    const node = this.nodes[pnn];
    if (node === undefined) throw new Error(`no node ${pnn}`);
    return node;
  }

  startNode(pnn: number): void {
    const node = this.node(pnn);
    const host = this.lab.nodes[pnn]!;
    node.process = host.spawn(this.daemon.argv(node), {
      env: { ...process.env, CTDB_BASE: node.base, CTDB_TEST_MODE: 'yes' },
      stdinPipe: true,
    });
  }

  /** Runs Debian's `ctdb` against node `pnn`. */
  debianCtdb(pnn: number, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
    return runCommand([DEBIAN_CTDB_PATH, ...args], { env: this.env(pnn), timeoutMs });
  }

  /** Polls until every node is OK, node 0 is out of recovery and a leader is known. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      for (const n of this.nodes) {
        if (n.process !== undefined && !n.process.running) {
          throw new Error(`${this.daemon.name} node ${n.pnn} exited:\n${n.process.output()}`);
        }
      }
      const all = await this.debianCtdb(0, ['nodestatus', 'all'], 5_000);
      const status = await this.debianCtdb(0, ['status'], 5_000);
      last = `${all.stdout}${all.stderr}\n${status.stdout}${status.stderr}`;
      if (
        all.code === 0 &&
        status.code === 0 &&
        /^Recovery mode:NORMAL \(0\)$/m.test(status.stdout) &&
        /^Leader:\d+$/m.test(status.stdout)
      ) {
        return;
      }
      await sleep(500);
    }
    throw new Error(`cluster not healthy after ${timeoutMs} ms; last status:\n${last}`);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.process?.closeStdin();
    await Promise.race([
      Promise.all(this.nodes.flatMap((n) => (n.process === undefined ? [] : [n.process.exited]))),
      sleep(3000),
    ]);
    await this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeNodeConfig(
  base: string,
  address: string,
  addresses: readonly string[],
  extra: string,
): void {
  for (const sub of [
    'run',
    'var',
    'share',
    'events/legacy',
    'db/volatile',
    'db/persistent',
    'db/state',
  ]) {
    mkdirSync(join(base, sub), { recursive: true });
  }
  writeFileSync(join(base, 'nodes'), addresses.map((a) => `${a}\n`).join(''));
  writeFileSync(join(base, 'public_addresses'), '');
  writeFileSync(
    join(base, 'ctdb.conf'),
    [
      '[logging]',
      `\tlocation = file:${join(base, 'log.ctdb')}`,
      '\tlog level = NOTICE',
      '[cluster]',
      `\tnode address = ${address}`,
      '[database]',
      `\tvolatile database directory = ${join(base, 'db/volatile')}`,
      `\tpersistent database directory = ${join(base, 'db/persistent')}`,
      `\tstate database directory = ${join(base, 'db/state')}`,
      extra,
      '',
    ].join('\n'),
  );
}
