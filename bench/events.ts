// bench/events: how long a `monitor` event takes with 0, 1, 5, 10, 20 and 40 trivial scripts —
// TypeScript eventscripts on our daemon's in-process path, shell scripts on our daemon, and the
// same shell scripts on the real CTDB ctdb-eventd when it is installed. Each daemon runs in
// CTDB_TEST_MODE with its own temporary CTDB_BASE; one client drives all of them over the
// event protocol. Prints medians, the per-script cost ((median(N) - median(0)) / N) and ratios.
//
// Wall-clock figures on a shared machine swing with its load; the CPU time each daemon's process
// tree spends per run (the daemon, its helpers, and the scripts it reaped) does much less, so
// it is printed too. `--baseline DIR` adds the shell path of another checkout of this project
// (e.g. the previous commit, from `git archive`) to compare before and after side by side;
// `--perl` adds our shell path on the Perl fork server (CTDB_TS_EVENTD_FORK_SERVER=perl) next to
// the C one (build/Release/ctdb_fork_server, used when built).
//
//   node --import tsx bench/events.ts [--rounds N] [--warmup N] [--baseline DIR] [--perl]
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventdClient } from '../runtime/eventd/client.js';
import { serverProgram } from '../runtime/eventd/fork-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REAL_EVENTD = '/usr/libexec/ctdb/ctdb-eventd';
const COUNTS = [0, 1, 5, 10, 20, 40];
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const baselineArg = process.argv.indexOf('--baseline');
const BASELINE = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
const WITH_PERL = process.argv.includes('--perl');
// Runs before timing starts; more of them measure a daemon whose JIT has warmed up.
const warmupArg = process.argv.indexOf('--warmup');
// Both daemons get the same warm-up runs before each size is measured. 30, because a daemon
// runs its monitor event every few seconds for as long as it is up: what matters is its steady
// state, and V8 optimises the request path only after some dozens of runs (a daemon that has
// just started is measured by `--warmup 0`).
const WARMUP = warmupArg > 0 ? Number(process.argv[warmupArg + 1]) : 30;

type Kind = 'ts' | 'shell';

const TS_SCRIPT = `#!/usr/bin/env ctdb-eventscript
import { defineEventScript } from 'ctdb-ts/eventscript';
export default defineEventScript({ monitor() {} });
`;
const SHELL_SCRIPT = '#!/bin/sh\nexit 0\n';

function makeBase(kind: Kind, count: number): string {
  const base = mkdtempSync(join(tmpdir(), `bench-events-${kind}-${count}-`));
  const dir = join(base, 'events', 'legacy');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(base, 'run'));
  writeFileSync(join(base, 'ctdb.conf'), '');
  for (let i = 0; i < count; i++) {
    const file = join(dir, `${String(10 + i).padStart(2, '0')}.bench${i}.script`);
    writeFileSync(file, kind === 'ts' ? TS_SCRIPT : SHELL_SCRIPT);
    chmodSync(file, 0o755);
  }
  return base;
}

async function waitFor(path: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Daemon {
  readonly label: string;
  readonly proc: ChildProcess;
  readonly client: EventdClient;
}

async function startDaemon(
  label: string,
  command: string[],
  base: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Daemon> {
  const env = { ...process.env, ...extraEnv, CTDB_TEST_MODE: 'yes', CTDB_BASE: base };
  const proc = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'ignore', 'ignore'] });
  const sock = join(base, 'run', 'eventd.socket');
  await waitFor(sock, 15000);
  await new Promise((r) => setTimeout(r, 100));
  return { label, proc, client: await EventdClient.connect(sock) };
}

/** CPU ms used so far by `pid`, its live descendants, and the children they reaped. */
function treeCpuMs(pid: number): number {
  let ticks = 0;
  const seen = new Set<number>();
  const visit = (p: number): void => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command's closing parenthesis; utime is field 14 overall.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0);
      for (const t of readdirSync(`/proc/${p}/task`))
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' '))
          if (c.trim() !== '') visit(Number(c));
    } catch {
      // gone meanwhile
    }
  };
  visit(pid);
  return ticks * 10; // USER_HZ is 100 on Linux
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One timed monitor run. */
/** Runs that did not succeed, per daemon label: reported, not timed. */
const failures = new Map<string, number[]>();

/** One timed monitor run; undefined when it failed (a stalled daemon shows as its deadline). */
async function once(d: Daemon): Promise<number | undefined> {
  const t0 = performance.now();
  const r = await d.client.run('legacy', 'monitor', null, 60);
  if (r === 0) return performance.now() - t0;
  failures.set(d.label, [...(failures.get(d.label) ?? []), r]);
  return undefined;
}

async function stopDaemon(d: Daemon): Promise<void> {
  d.client.close();
  d.proc.kill('SIGTERM');
  await new Promise((r) => d.proc.once('exit', r));
}

interface Setup {
  readonly label: string;
  readonly kind: Kind;
  readonly command: (base: string) => string[];
  readonly env?: NodeJS.ProcessEnv;
}

const ours = (): string[] => [
  process.execPath,
  '--import',
  import.meta.resolve('tsx'),
  join(ROOT, 'tools/ctdb-eventd.ts'),
];
const haveReal = existsSync(REAL_EVENTD);
const SETUPS: Setup[] = [
  { label: 'ours/ts', kind: 'ts', command: ours },
  { label: 'ours/shell', kind: 'shell', command: ours },
  ...(haveReal
    ? [{ label: 'real/shell', kind: 'shell' as const, command: () => [REAL_EVENTD] }]
    : []),
  ...(WITH_PERL
    ? [
        {
          label: 'ours/shell-perl',
          kind: 'shell' as const,
          command: ours,
          env: { CTDB_TS_EVENTD_FORK_SERVER: 'perl' },
        },
      ]
    : []),
  ...(BASELINE === undefined
    ? []
    : [
        {
          label: 'baseline/shell',
          kind: 'shell' as const,
          command: () => [
            process.execPath,
            '--import',
            import.meta.resolve('tsx'),
            join(resolve(BASELINE), 'tools/ctdb-eventd.ts'),
          ],
        },
      ]),
];

// For each script count, all daemons run side by side and take turns, so a busy machine
// slows them alike and the ratios stay meaningful.
const results = SETUPS.map(() => [] as number[]);
/** CPU ms per run of each daemon's process tree, per script count. */
const cpu = SETUPS.map(() => [] as number[]);
for (const n of COUNTS) {
  const bases = SETUPS.map((s) => makeBase(s.kind, n));
  const daemons = await Promise.all(
    SETUPS.map((s, i) => startDaemon(s.label, s.command(bases[i]!), bases[i]!, s.env)),
  );
  try {
    for (const d of daemons) for (let i = 0; i < WARMUP; i++) await once(d);
    const times = SETUPS.map(() => [] as number[]);
    const cpu0 = daemons.map((d) => treeCpuMs(d.proc.pid!));
    for (let r = 0; r < ROUNDS; r++)
      for (let k = 0; k < daemons.length; k++) {
        const i = (k + r) % daemons.length;
        const t = await once(daemons[i]!);
        if (t !== undefined) times[i]!.push(t);
      }
    times.forEach((t, i) => results[i]!.push(median(t)));
    daemons.forEach((d, i) => cpu[i]!.push((treeCpuMs(d.proc.pid!) - cpu0[i]!) / ROUNDS));
  } finally {
    await Promise.all(daemons.map(stopDaemon));
    for (const b of bases) rmSync(b, { recursive: true, force: true });
  }
  process.stderr.write(
    `${n} scripts: ${SETUPS.map((s, i) => `${s.label} ${results[i]!.at(-1)!.toFixed(2)} ms (CPU ${cpu[i]!.at(-1)!.toFixed(1)})`).join(', ')}\n`,
  );
}
const ts = results[0]!;
const sh = results[1]!;
const real = haveReal ? results[2] : undefined;

const per = (xs: number[], i: number): string =>
  COUNTS[i] === 0 ? '-' : ((xs[i]! - xs[0]!) / COUNTS[i]!).toFixed(3);
const f = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(2));
const header = [
  'scripts',
  'ours TS ms',
  'TS ms/script',
  'ours sh ms',
  'sh ms/script',
  'real sh ms',
  'real ms/script',
  'ours sh/real',
  'ours TS/real',
];
const rows = COUNTS.map((n, i) => [
  String(n),
  f(ts[i]),
  per(ts, i),
  f(sh[i]),
  per(sh, i),
  real === undefined ? 'n/a' : f(real[i]),
  real === undefined ? 'n/a' : per(real, i),
  real === undefined ? 'n/a' : (sh[i]! / real[i]!).toFixed(2),
  real === undefined ? 'n/a' : (ts[i]! / real[i]!).toFixed(2),
]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]): string => cells.map((x, c) => x.padStart(widths[c]!)).join('  ');
const forkServer = serverProgram(process.env);
console.log(
  `monitor event, median of ${ROUNDS} runs (ms)${haveReal ? '' : ' — real ctdb-eventd not installed'}; ` +
    `our shell path on the ${forkServer === undefined ? 'no' : forkServer.kind === 'native' ? 'C' : 'Perl'} fork server`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));

// The same runs in CPU time (ms per run, daemon + helpers + scripts; 10 ms clock ticks).
console.log(`\nCPU time per monitor run (ms), daemon process tree, mean of ${ROUNDS} runs`);
const cpuHeader = ['scripts', ...SETUPS.map((s) => s.label)];
const cpuRows = COUNTS.map((n, i) => [String(n), ...cpu.map((c) => c[i]!.toFixed(2))]);
const cpuWidths = cpuHeader.map((h, c) => Math.max(h.length, ...cpuRows.map((r) => r[c]!.length)));
for (const r of [cpuHeader, ...cpuRows])
  console.log(r.map((x, c) => x.padStart(cpuWidths[c]!)).join('  '));
for (const [label, results] of failures)
  console.log(`\n${label}: ${results.length} run(s) failed (results ${results.join(', ')})`);
if (WITH_PERL) {
  const perl = results[SETUPS.findIndex((x) => x.label === 'ours/shell-perl')]!;
  console.log(
    `\nours/shell-perl wall ms: ${perl.map((x) => x.toFixed(2)).join(', ')} ` +
      `(ours/shell ÷ perl: ${sh.map((x, i) => (x / perl[i]!).toFixed(2)).join(', ')})`,
  );
}
if (BASELINE !== undefined) {
  const base = results[SETUPS.length - 1]!;
  console.log(
    `\nbaseline/shell wall ms: ${base.map((x) => x.toFixed(2)).join(', ')} ` +
      `(ours/shell ÷ baseline: ${sh.map((x, i) => (x / base[i]!).toFixed(2)).join(', ')})`,
  );
}

// Wall-clock medians above depend on how busy the machine is. The CPU time our TypeScript path
// spends per script does not: run the daemon's own component code in this process (all threads
// counted) with 0 and 40 scripts and divide.
async function tsCpuPerScript(): Promise<{ perScript: number; perRun0: number }> {
  const { Component } = await import('../runtime/eventd/component.js');
  const { TsPool } = await import('../runtime/eventd/ts-pool.js');
  const { silentLog } = await import('../runtime/eventd/log.js');
  const { HungScriptDebugger } = await import('../runtime/eventd/debug-script.js');
  const pool = new TsPool();
  pool.warm();
  const cpu = async (n: number): Promise<number> => {
    const base = makeBase('ts', n);
    try {
      const c = new Component('legacy', join(base, 'events', 'legacy'), {
        runners: { pool, outputDir: join(base, 'run') },
        log: silentLog,
        debugger: new HungScriptDebugger(undefined, silentLog),
        env: process.env,
      });
      const once = (): Promise<number> =>
        c.run({ event: 'monitor', args: null, deadline: Date.now() + 60000, runAll: false });
      for (let i = 0; i < 10; i++) await once();
      const runs = 200;
      const u0 = process.cpuUsage();
      for (let i = 0; i < runs; i++) await once();
      const u = process.cpuUsage(u0);
      return (u.user + u.system) / 1000 / runs;
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };
  const c0 = await cpu(0);
  const c40 = await cpu(40);
  pool.close();
  return { perScript: (c40 - c0) / 40, perRun0: c0 };
}

const tsCpu = await tsCpuPerScript();
console.log(
  `TypeScript fast path, CPU time (all threads, mean of 200 runs): ` +
    `${tsCpu.perScript.toFixed(3)} ms per script, ${tsCpu.perRun0.toFixed(3)} ms per run with no scripts`,
);
