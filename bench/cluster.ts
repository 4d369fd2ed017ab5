// Cluster benchmark, ours side by side with the real CTDB 4.17 (Debian) on the same launcher:
//  1. cold start: from starting N daemons (one per network namespace) until every node reports
//     all nodes OK, a valid generation, recovery mode NORMAL and a leader;
//  2. resident memory per node at idle (every process in the node's namespace: ours =
//     ctdbd + ctdb-eventd; CTDB = ctdbd + ctdb-eventd + ctdb-recoverd);
//  3. per-call latency of `ctdb pnn` and `ctdb status` against our daemon, with our `ctdb`
//     (the C front end build/Release/ctdb served by ctdbd's command service, the start-up bundle
//     dist/ctdb/ctdb.cjs, and tsc's dist/tools/ctdb.js) and with Debian's binary, next to what an
//     empty Node process costs on this machine (the floor).
// Run as root: node --import tsx bench/cluster.ts [-n NODES] [-r RUNS] [--latency-only]
//   (uses dist/ when built: `npm run build`, which includes scripts/build-ctdb.mjs).
//   --latency-only: only our cluster and the latency table (no real-CTDB run, no RSS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../runtime/paths/index.js';
import { healthy, nodeEnv, socketOf, writeNodeConfig } from '../tools/local-cluster.js';
import { HealthWatcher } from './support/health-watch.js';
import { NetLab, canCreateNamespaces, type LabProcess } from '../test/support/netlab.js';

const REAL_CTDBD = '/usr/sbin/ctdbd';
const REAL_CTDB = '/usr/bin/ctdb';

function arg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const v = i < 0 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}

/**
 * The `ctdb` front end: build/Release/ctdb when built, else compiled from lib/native/ctdb_front.c
 * into `scratch` (enough for served commands; falling back needs the package layout).
 */
function frontEnd(scratch: string): string[] | undefined {
  const built = join(projectRoot(), 'build', 'Release', 'ctdb');
  if (existsSync(built)) return [built];
  const out = join(scratch, 'ctdb');
  const src = join(projectRoot(), 'lib', 'native', 'ctdb_front.c');
  const r = spawnSync('cc', ['-std=c11', '-O2', '-o', out, src], { encoding: 'utf8' });
  return r.status === 0 ? [out] : undefined;
}

/** Our command for a tool: the compiled one when built, else the source through tsx. */
function ourTool(name: string): string[] {
  const root = projectRoot();
  // `ctdb` has a start-up bundle (scripts/build-ctdb.mjs); it is what the package installs.
  const bundle = join(root, 'dist', 'ctdb', `${name}.cjs`);
  if (existsSync(bundle)) return [process.execPath, bundle];
  const built = join(root, 'dist', 'tools', `${name}.js`);
  if (existsSync(built)) return [process.execPath, built];
  return tsxTool(name);
}

function tsxTool(name: string): string[] {
  const root = projectRoot();
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
  idleMs = 5000,
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
    const watchers = bases.map((b) => new HealthWatcher(socketOf(b)));
    try {
      while (Date.now() < deadline) {
        if (watchers.every((w) => healthy(w.state, nodes))) {
          startMs = performance.now() - t0;
          break;
        }
        await sleep(20);
      }
    } finally {
      for (const w of watchers) w.close();
    }
    if (startMs === undefined) {
      process.stderr.write(`${kind}: cluster not healthy within 120 s\n`);
      for (const p of procs) process.stderr.write(p.output().slice(-2000));
      return undefined;
    }
    await sleep(idleMs); // idle
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

interface Variant {
  readonly label: string;
  readonly argv: readonly string[];
}

/** CPU time (user + system, ms) used so far by this process's waited-for children. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), cutime and cstime, in clock ticks (100 per second on Linux).
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

interface Latency {
  /** Median wall time per call, ms (NaN if a call failed). */
  readonly median: number;
  /** Mean CPU time per call, ms: what the call costs regardless of how busy the machine is. */
  readonly cpu: number;
}

/**
 * Per-call latency of each variant. The variants take turns call by call, so a change in
 * machine load hits all of them alike.
 */
function latencies(variants: readonly Variant[], socket: string, runs: number): Latency[] {
  const times = variants.map((): number[] => []);
  const cpu = variants.map(() => 0);
  const failed = variants.map(() => false);
  for (let i = 0; i < runs; i++) {
    for (const [k, v] of variants.entries()) {
      if (failed[k]) continue;
      const c = childrenCpuMs();
      const t = performance.now();
      const r = spawnSync(v.argv[0]!, v.argv.slice(1), {
        env: { ...process.env, CTDB_SOCKET: socket },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const elapsed = performance.now() - t;
      cpu[k]! += childrenCpuMs() - c;
      if (r.status !== 0) {
        process.stderr.write(`${v.label}: exit ${r.status}: ${r.stderr.slice(0, 500)}\n`);
        failed[k] = true;
        continue;
      }
      times[k]!.push(elapsed);
    }
  }
  return times.map((xs, k) => {
    if (failed[k]) return { median: Number.NaN, cpu: Number.NaN };
    xs.sort((a, b) => a - b);
    return { median: xs[Math.floor(xs.length / 2)]!, cpu: cpu[k]! / runs };
  });
}

/** An empty user-land startup snapshot, to show what `--snapshot-blob` costs by itself. */
function emptySnapshot(dir: string): string | undefined {
  const entry = join(dir, 'empty-snapshot.cjs');
  const blob = join(dir, 'empty-snapshot.blob');
  writeFileSync(
    entry,
    "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => undefined);\n",
  );
  const r = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', entry]);
  return r.status === 0 ? blob : undefined;
}

const fmt = (n: number | undefined, unit: string): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : `${n.toFixed(n < 10 ? 1 : 0)} ${unit}`;

/** One line per variant: label, median wall time, CPU per call, and the gap to Debian's. */
function latencyTable(
  title: string,
  variants: readonly Variant[],
  results: readonly Latency[],
  reference: number | undefined,
): string {
  const width = Math.max(...variants.map((v) => v.label.length));
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  let text = `${title}\n  (load average ${load} on ${availableParallelism()} CPUs)\n`;
  text += `  ${''.padEnd(width)}  ${'median'.padStart(8)}  ${'cpu/call'.padStart(8)}\n`;
  variants.forEach((v, k) => {
    const { median, cpu } = results[k]!;
    const delta =
      reference === undefined || Number.isNaN(reference) || Number.isNaN(median) || k === 0
        ? ''
        : `  (${median >= reference ? '+' : '-'}${Math.abs(median - reference).toFixed(0)} ms ` +
          `${median >= reference ? 'over' : 'under'} Debian's)`;
    text += `  ${v.label.padEnd(width)}  ${fmt(median, 'ms').padStart(8)}  ${fmt(cpu, 'ms').padStart(8)}${delta}\n`;
  });
  return text;
}

async function main(): Promise<void> {
  const can = canCreateNamespaces();
  if (!can.ok) {
    process.stderr.write(`bench/cluster: ${can.reason}\n`);
    process.exitCode = 1;
    return;
  }
  const nodes = arg('-n', 3);
  const runs = arg('-r', 21);
  const latencyOnly = process.argv.includes('--latency-only');
  const root = projectRoot();
  const lat: Record<string, number> = {};
  let latencyText = '';
  const scratch = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  try {
    const ours = await runCluster(
      'ours',
      nodes,
      (bases) => {
        const sock = socketOf(bases[0]!);
        // `ctdb pnn`: Debian's binary, each form of ours, and the cost of Node doing nothing.
        const pnn: Variant[] = [];
        if (existsSync(REAL_CTDB)) pnn.push({ label: 'Debian /usr/bin/ctdb', argv: [REAL_CTDB] });
        const front = frontEnd(scratch);
        if (front !== undefined)
          pnn.push({ label: 'ours, front end (served by ctdbd)', argv: front });
        const bundle = join(root, 'dist', 'ctdb', 'ctdb.cjs');
        if (existsSync(bundle))
          pnn.push({ label: 'ours, bundle dist/ctdb/ctdb.cjs', argv: [process.execPath, bundle] });
        const tscOut = join(root, 'dist', 'tools', 'ctdb.js');
        if (existsSync(tscOut))
          pnn.push({ label: 'ours, tsc dist/tools/ctdb.js', argv: [process.execPath, tscOut] });
        if (pnn.length < 2) pnn.push({ label: 'ours, tsx tools/ctdb.ts', argv: tsxTool('ctdb') });
        const withPnn = pnn.map((v) => ({ ...v, argv: [...v.argv, 'pnn'] }));
        const floor: Variant[] = [
          { label: 'floor: node -e 0', argv: [process.execPath, '-e', '0'] },
        ];
        const blob = emptySnapshot(scratch);
        if (blob !== undefined)
          floor.push({
            label: 'floor: node --snapshot-blob (empty)',
            argv: [process.execPath, '--snapshot-blob', blob],
          });
        const all = [...withPnn, ...floor];
        const results = latencies(all, sock, runs);
        const debian = existsSync(REAL_CTDB) ? results[0]!.median : undefined;
        latencyText += latencyTable(
          `\`ctdb pnn\` against our daemon, ${runs} calls each (taking turns):`,
          all,
          results,
          debian,
        );
        lat['debian pnn'] = debian ?? Number.NaN;
        lat['ours pnn'] = results[existsSync(REAL_CTDB) ? 1 : 0]!.median;

        // Ours first (the front end when there is one, the figure the summary shows), then the
        // bundle, then Debian's.
        const status: Variant[] = [];
        if (front !== undefined)
          status.push({ label: 'ours, front end (served by ctdbd)', argv: [...front, 'status'] });
        status.push({ label: 'ours, bundle', argv: [...ourTool('ctdb'), 'status'] });
        if (existsSync(REAL_CTDB))
          status.push({ label: 'Debian /usr/bin/ctdb', argv: [REAL_CTDB, 'status'] });
        const st = latencies(status, sock, runs);
        lat['ours status'] = st[0]!.median;
        lat['debian status'] = existsSync(REAL_CTDB) ? st[st.length - 1]!.median : Number.NaN;
        latencyText += latencyTable(
          `\`ctdb status\` against our daemon, ${runs} calls each (taking turns):`,
          status,
          st,
          undefined,
        );
        return Promise.resolve();
      },
      latencyOnly ? 0 : 5000,
    );
    if (latencyOnly) {
      process.stdout.write(latencyText);
      return;
    }
    const real = existsSync(REAL_CTDBD) ? await runCluster('ctdb', nodes) : undefined;
    printSummary(nodes, ours, real, lat);
    process.stdout.write(`\n${latencyText}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function printSummary(
  nodes: number,
  ours: RunResult | undefined,
  real: RunResult | undefined,
  lat: Readonly<Record<string, number>>,
): void {
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
