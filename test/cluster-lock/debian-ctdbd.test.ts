// The real CTDB (Debian's ctdbd 4.17) using our helpers as its cluster lock: a 2-node cluster
// in CTDB_TEST_MODE inside NetLab namespaces (config as ctdb/tests/local_daemons.sh writes it),
// first with ctdb_etcd_lock against a real etcd, then with ctdb_mutex_fcntl_helper on a shared
// file (the C program, then the TypeScript one). We check that a leader is elected, that the lock is held (in etcd: the key names the
// leader's helper; on disk: F_GETLK names it), and that after kill -9 of the leader's ctdbd the
// other node takes the lock and leads.
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nativeProgram } from '../../runtime/paths/index.js';
import { getLock } from '../../runtime/cluster-lock/native.js';
import { EtcdServer, etcdUnavailable } from '../support/etcd.js';
import { NetLab, canCreateNamespaces, type LabHost, type LabProcess } from '../support/netlab.js';
import { timeUntil, tsNode } from './util.js';

const CTDBD = '/usr/sbin/ctdbd';
const CTDB = '/usr/bin/ctdb';

function skipReason(): string | undefined {
  const ns = canCreateNamespaces();
  if (!ns.ok) return ns.reason;
  if (!existsSync(CTDBD) || !existsSync(CTDB)) return 'Debian ctdb package not installed';
  return etcdUnavailable();
}
const skip = skipReason();
const nativeFcntlHelper = nativeProgram('ctdb_mutex_fcntl_helper');

interface Node {
  host: LabHost;
  pnn: number;
  base: string;
  env: NodeJS.ProcessEnv;
  ctdbd?: LabProcess;
}

/** An executable that runs one of our TypeScript helpers (ctdbd exec()s a single path). */
function wrapper(dir: string, tool: string): string {
  const file = join(dir, tool);
  const argv = tsNode(`tools/${tool}.ts`)
    .map((a) => `'${a}'`)
    .join(' ');
  writeFileSync(file, `#!/bin/sh\nexec ${argv} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

function setUpNodes(lab: NetLab, dir: string, clusterLock: string): Node[] {
  const nodesFile = lab.nodes.map((h) => h.privateAddress).join('\n') + '\n';
  return lab.nodes.map((host, pnn) => {
    const base = join(dir, `node.${pnn}`);
    for (const d of ['db/volatile', 'db/persistent', 'db/state', 'events/legacy', 'run', 'var'])
      mkdirSync(join(base, d), { recursive: true });
    writeFileSync(join(base, 'nodes'), nodesFile);
    writeFileSync(join(base, 'public_addresses'), '');
    writeFileSync(
      join(base, 'ctdb.conf'),
      `[logging]\n\tlocation = file:${base}/log.ctdb\n\tlog level = INFO\n` +
        `[cluster]\n\tcluster lock = ${clusterLock}\n\tnode address = ${host.privateAddress}\n` +
        `[database]\n\tvolatile database directory = ${base}/db/volatile\n` +
        `\tpersistent database directory = ${base}/db/persistent\n` +
        `\tstate database directory = ${base}/db/state\n` +
        `[failover]\n\tdisabled = true\n`,
    );
    const env = { ...process.env, CTDB_TEST_MODE: 'yes', CTDB_BASE: base };
    return { host, pnn, base, env };
  });
}

function log(node: Node): string {
  try {
    return readFileSync(join(node.base, 'log.ctdb'), 'utf8');
  } catch {
    return '';
  }
}

/** `ctdb leader` on a node: the pnn, or undefined if none is known yet. */
async function leaderSeenBy(node: Node): Promise<number | undefined> {
  const r = await node.host.run([CTDB, '-t', '3', 'leader'], { env: node.env, timeoutMs: 10_000 });
  const pnn = Number(r.stdout.trim());
  return r.code === 0 && /^\d+$/.test(r.stdout.trim()) ? pnn : undefined;
}

async function recoveryNormal(node: Node): Promise<boolean> {
  const r = await node.host.run([CTDB, 'status'], { env: node.env, timeoutMs: 10_000 });
  return r.code === 0 && /Recovery mode:NORMAL/.test(r.stdout);
}

/** Waits until every node in `nodes` names the same leader and recovery is over. */
async function waitForLeader(nodes: Node[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = await Promise.all(nodes.map(leaderSeenBy));
    const first = seen[0];
    if (
      first !== undefined &&
      seen.every((s) => s === first) &&
      (await Promise.all(nodes.map(recoveryNormal))).every(Boolean)
    )
      return first;
    await sleep(500);
  }
  throw new Error(
    `no agreed leader in ${timeoutMs} ms\n${nodes.map((n) => `--- node ${n.pnn}\n${log(n).slice(-3000)}`).join('\n')}`,
  );
}

function startCtdbd(node: Node): void {
  // stdin stays open: in test mode ctdbd -i exits when it closes.
  node.ctdbd = node.host.spawn([CTDBD, '-i'], { env: node.env, stdinPipe: true });
}

/** The network namespace a process runs in (to tell which lab node a pid belongs to). */
function netns(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

/** Stops every ctdbd of a test (its helpers follow: they watch their parent). */
async function stopAll(nodes: Node[]): Promise<void> {
  for (const n of nodes) n.ctdbd?.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.ctdbd?.exited ?? Promise.resolve()));
}

describe(
  'Debian ctdbd with our cluster mutex helpers',
  { skip: skip ?? false, timeout: 400_000 },
  () => {
    let lab: NetLab;
    let dir: string;
    let etcd: EtcdServer;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-debctdbd-'));
      lab = await NetLab.create({ nodes: 2, client: false, label: 'clk' });
      etcd = await EtcdServer.start({
        host: lab.nodes[0]!,
        address: lab.nodes[0]!.privateAddress!,
      });
    });
    after(async () => {
      await etcd?.destroy();
      await lab?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    test('ctdb_etcd_lock: one leader holds the key; kill -9 of the leader moves it', async () => {
      const conf = join(dir, 'etcd.conf');
      writeFileSync(conf, `hosts = ${etcd.clientUrl}\nname = deb\nlock_ttl = 9\nrefresh = 2\n`);
      const nodes = setUpNodes(
        lab,
        join(dir, 'etcd'),
        `!${wrapper(dir, 'ctdb_etcd_lock')} -c ${conf}`,
      );
      for (const n of nodes) startCtdbd(n);
      try {
        const leader = await waitForLeader(nodes, 120_000);
        const holder = await etcd.etcdctl(['get', '--print-value-only', '/_locks/_ctdb/deb']);
        const pid = Number(/pid=(\d+)/.exec(holder.stdout)?.[1]);
        assert.ok(pid > 0, `lock key value: ${holder.stdout}`);
        assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /ctdb_etcd_lock/);
        // The helper runs in the leader's namespace.
        const leaderNode = nodes[leader]!;
        const leaderNs = netns(leaderNode.ctdbd!.pid);
        assert.equal(netns(pid), leaderNs);

        const other = nodes.find((n) => n.pnn !== leader)!;
        const t0 = Date.now();
        leaderNode.ctdbd!.kill('SIGKILL');
        // The old leader's helper must let go as soon as its recovery daemon is gone.
        const releasedMs = await timeUntil(
          async () => {
            const v = await etcd.etcdctl(['get', '--print-value-only', '/_locks/_ctdb/deb']);
            return !v.stdout.includes(`pid=${pid} `) && !v.stdout.trim().endsWith(`pid=${pid}`);
          },
          20_000,
          'release of the old leader key',
        );
        console.log(
          `Debian ctdbd + ctdb_etcd_lock: old key released ${releasedMs.toFixed(0)} ms after kill -9 of the leader`,
        );
        assert.ok(releasedMs < 5000, `the key lived ${releasedMs} ms (lease TTL 9 s)`);
        const next = await waitForLeader([other], 120_000);
        const ms = Date.now() - t0;
        console.log(
          `Debian ctdbd + ctdb_etcd_lock: new leader ${ms} ms after kill -9 of the leader`,
        );
        assert.equal(next, other.pnn);
        const holder2 = await etcd.etcdctl(['get', '--print-value-only', '/_locks/_ctdb/deb']);
        const pid2 = Number(/pid=(\d+)/.exec(holder2.stdout)?.[1]);
        assert.equal(netns(pid2), netns(other.ctdbd!.pid));
      } finally {
        await stopAll(nodes);
      }
    });

    // Both implementations of the fcntl helper: the C program is the one nodes run when built.
    const fcntlHelpers = [
      {
        name: 'C',
        skip:
          nativeFcntlHelper === undefined
            ? 'build/Release/ctdb_mutex_fcntl_helper not built'
            : false,
        command: () => nativeFcntlHelper ?? '',
      },
      { name: 'TypeScript', skip: false, command: () => wrapper(dir, 'ctdb_mutex_fcntl_helper') },
    ] as const;
    for (const impl of fcntlHelpers) {
      test(
        `ctdb_mutex_fcntl_helper (${impl.name}): one leader holds the file lock; kill -9 of the leader moves it`,
        { skip: impl.skip },
        async () => {
          const shared = join(dir, `shared-${impl.name}`, '.ctdb');
          const lockFile = join(shared, 'cluster.lock');
          mkdirSync(shared, { recursive: true });
          const nodes = setUpNodes(
            lab,
            join(dir, `fcntl-${impl.name}`),
            `!${impl.command()} ${lockFile}`,
          );
          for (const n of nodes) startCtdbd(n);
          try {
            const leader = await waitForLeader(nodes, 120_000);
            const fd = openSync(lockFile, constants.O_RDWR);
            const holder = getLock(fd, 'write', 0, 1);
            closeSync(fd);
            assert.ok(holder !== null, 'nobody holds the lock file');
            assert.match(
              readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8'),
              /ctdb_mutex_fcntl_helper/,
            );
            const leaderNode = nodes[leader]!;
            assert.equal(netns(holder.pid), netns(leaderNode.ctdbd!.pid));

            const other = nodes.find((n) => n.pnn !== leader)!;
            const t0 = Date.now();
            leaderNode.ctdbd!.kill('SIGKILL');
            const releasedMs = await timeUntil(
              () => {
                const fd2 = openSync(lockFile, constants.O_RDWR);
                try {
                  return getLock(fd2, 'write', 0, 1)?.pid !== holder.pid;
                } finally {
                  closeSync(fd2);
                }
              },
              20_000,
              'release of the old leader lock',
            );
            console.log(
              `Debian ctdbd + ctdb_mutex_fcntl_helper (${impl.name}): old lock released ${releasedMs.toFixed(0)} ms after kill -9 of the leader`,
            );
            assert.ok(releasedMs < 5000, `the lock lived ${releasedMs} ms`);
            const next = await waitForLeader([other], 120_000);
            console.log(
              `Debian ctdbd + ctdb_mutex_fcntl_helper (${impl.name}): new leader ${Date.now() - t0} ms after kill -9 of the leader`,
            );
            assert.equal(next, other.pnn);
          } finally {
            await stopAll(nodes);
          }
        },
      );
    }
  },
);
