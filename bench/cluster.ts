// Cluster benchmark, ours side by side with the real CTDB 4.17 (Debian) on the same launcher:
//  1. cold start: from starting N daemons (one per network namespace) until every node reports
//     all nodes OK, a valid generation, recovery mode NORMAL and a leader;
//  2. resident memory per node at idle (every process in the node's namespace: ours =
//     ctdbd + ctdb-eventd; CTDB = ctdbd + ctdb-eventd + ctdb-recoverd);
//  3. per-call latency of `ctdb pnn` and `ctdb status` against our daemon, with our `ctdb`
//     and with Debian's binary.
// Run as root: node --import tsx bench/cluster.ts [-n NODES] [-r RUNS]   (uses dist/ when built)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../tools/local-cluster.js';
import { NetLab, canCreateNamespaces, type LabProcess } from '../test/support/netlab.js';

const REAL_CTDBD = '/usr/sbin/ctdbd';
const REAL_CTDB = '/usr/bin/ctdb';

function arg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const v = i < 0 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Our command for a tool: the compiled one when built, else the source through tsx. */
function ourTool(name: string): string[] {
  const root = projectRoot();
  const built = join(root, 'dist', 'tools', `${name}.js`);
  if (existsSync(built)) return [process.execPath, built];
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return [process.execPath, '--import', `file://${tsx}`, join(root, 'tools', `${name}.ts`)];
}

function rssOfNamespace(ns: string): number {
  const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '')
    .split(/\s+/)
    .filter(Boolean);
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
      if (m !== null) kb += Number(m[1]);
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

interface RunResult {
  readonly startMs: number;
  readonly rssMb: number[];
}

async function runCluster(
  kind: 'ours' | 'ctdb',
  nodes: number,
  measure?: (bases: string[]) => Promise<void>,
): Promise<RunResult | undefined> {
  const lab = await NetLab.create({ nodes, client: false, label: kind === 'ours' ? 'bo' : 'bc' });
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const procs: LabProcess[] = [];
  try {
    const addresses = lab.nodes.map((n) => n.privateAddress!);
    const bases = lab.nodes.map((_, i) => join(dir, `node.${i}`));
    // No eventscripts on either side: this measures the daemons, not the scripts.
    bases.forEach((b, i) => writeNodeConfig(b, addresses, i, '', []));
    const argv = kind === 'ours' ? [...ourTool('ctdbd'), '-i'] : [REAL_CTDBD, '-i'];
    const t0 = performance.now();
    for (const [i, host] of lab.nodes.entries())
      procs.push(host.spawn(argv, { env: nodeEnv(bases[i]!), stdinPipe: true }));
    let startMs: number | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const ps = await Promise.all(bases.map((b) => probe(socketOf(b), 1500)));
      if (ps.every((p) => healthy(p, nodes))) {
        startMs = performance.now() - t0;
        break;
      }
      await sleep(100);
    }
    if (startMs === undefined) {
      process.stderr.write(`${kind}: cluster not healthy within 120 s\n`);
      for (const p of procs) process.stderr.write(p.output().slice(-2000));
      return undefined;
    }
    await sleep(5000); // idle
    const rssMb = lab.nodes.map((h) => rssOfNamespace(h.ns));
    if (measure !== undefined) await measure(bases);
    return { startMs, rssMb };
  } finally {
    for (const p of procs) p.closeStdin();
    await sleep(300);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function latency(argv: readonly string[], socket: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), {
      env: { ...process.env, CTDB_SOCKET: socket },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0) return Number.NaN;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const fmt = (n: number | undefined, unit: string): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : `${n.toFixed(n < 10 ? 1 : 0)} ${unit}`;

async function main(): Promise<void> {
  const can = canCreateNamespaces();
  if (!can.ok) {
    process.stderr.write(`bench/cluster: ${can.reason}\n`);
    process.exitCode = 1;
    return;
  }
  const nodes = arg('-n', 3);
  const runs = arg('-r', 10);
  const lat: Record<string, number> = {};
  const ours = await runCluster('ours', nodes, (bases) => {
    const sock = socketOf(bases[0]!);
    const oursCtdb = ourTool('ctdb');
    lat['ours pnn'] = latency([...oursCtdb, 'pnn'], sock, runs);
    lat['ours status'] = latency([...oursCtdb, 'status'], sock, runs);
    if (existsSync(REAL_CTDB)) {
      lat['debian pnn'] = latency([REAL_CTDB, 'pnn'], sock, runs);
      lat['debian status'] = latency([REAL_CTDB, 'status'], sock, runs);
    }
    return Promise.resolve();
  });
  const real = existsSync(REAL_CTDBD) ? await runCluster('ctdb', nodes) : undefined;

  const avg = (xs: number[] | undefined): number | undefined =>
    xs === undefined ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: [string, string, string, string][] = [
    [
      `cold start to all ${nodes} OK`,
      fmt(ours === undefined ? undefined : ours.startMs / 1000, 's'),
      fmt(real === undefined ? undefined : real.startMs / 1000, 's'),
      'target ≤ 5 s',
    ],
    [
      'RSS per node at idle',
      fmt(avg(ours?.rssMb), 'MB'),
      fmt(avg(real?.rssMb), 'MB'),
      'target ≤ real',
    ],
    [
      '`ctdb pnn` (our daemon)',
      `${fmt(lat['ours pnn'], 'ms')} (our ctdb)`,
      `${fmt(lat['debian pnn'], 'ms')} (Debian ctdb)`,
      'target ≤ 50 ms',
    ],
    [
      '`ctdb status` (our daemon)',
      `${fmt(lat['ours status'], 'ms')} (our ctdb)`,
      `${fmt(lat['debian status'], 'ms')} (Debian ctdb)`,
      'waits for a leader broadcast',
    ],
  ];
  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(...rows.map((r) => r[c]!.length), ['', 'ours', 'CTDB 4.17', ''][c]!.length),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(['', 'ours', 'CTDB 4.17', ''])}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  if (ours !== undefined && real !== undefined)
    process.stdout.write(
      `ratios (ours/CTDB): start ${(ours.startMs / real.startMs).toFixed(2)}, ` +
        `memory ${(avg(ours.rssMb)! / avg(real.rssMb)!).toFixed(2)}\n`,
    );
}

await main();
