// The failover benchmark's engine, shared by bench/failover.ts and bench/leader-failover.ts:
// for each daemon (Debian's CTDB 4.17 and ours) on the same FaultCluster launcher, repeat each
// fault RUNS times and time, from the fault, until every public address answers again from the
// client namespace (test/support/address-prober.ts), and after a leader's death until a new
// leader is broadcast (leader-watch.ts). Between runs the cluster is put back (restart, enable,
// SIGCONT) and must settle — every node OK, one leader, each address on one node, and the
// client reaching each address at the node `ctdb ip` names — before the next fault.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { socketOf } from '../../tools/local-cluster.js';
import { AddressProber, now } from '../../test/support/address-prober.js';
import {
  DEBIAN_CTDB,
  FaultCluster,
  faultClusterUnavailable,
  type DaemonKind,
} from '../../test/support/fault-cluster.js';
import { runCommand, type RunResult } from '../../test/support/netlab.js';
import { HostedWatch } from './hosted-watch.js';
import { LeaderWatcher, newLeaderSince } from './leader-watch.js';

export type FaultName = 'kill9' | 'kill9-leader' | 'disable' | 'sigstop';
export const FAULT_NAMES: readonly FaultName[] = ['kill9', 'kill9-leader', 'disable', 'sigstop'];

/**
 * One row of the table. `F` = every address answered the client again from a node other than
 * the faulted one; `F:moved` = every address was on such a node's eth1 (the kernel's view).
 */
export type FigureName = FaultName | `${FaultName}:moved` | 'new-leader';

export interface BenchOptions {
  readonly runs: number;
  readonly nodes: number;
  readonly daemons: readonly DaemonKind[];
  readonly faults: readonly FaultName[];
  /** Figures to print (default: every figure the faults produce). */
  readonly figures?: readonly FigureName[];
  /** KeepaliveInterval / KeepaliveLimit for the SIGSTOP runs, on both daemons (default: CTDB's). */
  readonly keepaliveInterval?: number;
  readonly keepaliveLimit?: number;
  /** Run `ctdb disable`/`enable` with Debian's tool against ours too (default: the matching tool). */
  readonly debianTool?: boolean;
  /** How long to wait for the client to reach every address (default 30 s). */
  readonly clientTimeoutMs?: number;
  /** Progress lines go here (default stderr). */
  readonly log?: (line: string) => void;
}

export interface SideResult {
  /** Why this daemon was not measured at all. */
  skipped?: string;
  samples: Map<FigureName, number[]>;
  failures: Map<FigureName, string[]>;
}

export type BenchResults = Map<DaemonKind, SideResult>;

const CTDB_KEEPALIVE_INTERVAL = 5;
const CTDB_KEEPALIVE_LIMIT = 5;

const FAULTS: Record<FaultName, { label: string; target: string; targetMs: number | 'real' }> = {
  kill9: { label: 'kill -9 of a non-leader', target: '<= 0.5 s', targetMs: 500 },
  'kill9-leader': { label: 'kill -9 of the leader', target: '<= 2 s', targetMs: 2000 },
  disable: { label: 'ctdb disable', target: '<= 0.5 s', targetMs: 500 },
  sigstop: { label: 'SIGSTOP of a non-leader', target: '<= real', targetMs: 'real' },
};

function figureSpec(fig: FigureName): { label: string; target: string; targetMs: number | 'real' } {
  if (fig === 'new-leader')
    return { label: 'new leader after kill -9 of the leader', target: '<= 2 s', targetMs: 2000 };
  const [fault, moved] = fig.split(':') as [FaultName, string | undefined];
  const spec = FAULTS[fault];
  return {
    ...spec,
    label: `${spec.label}: ${moved === undefined ? 'client answered' : 'addresses moved'}`,
  };
}

function figuresOf(fault: FaultName): FigureName[] {
  const both: FigureName[] = [`${fault}:moved`, fault];
  return fault === 'kill9-leader' ? ['new-leader', ...both] : both;
}

/** A fault run that went wrong; the message says what and where. */
export class FailoverRunError extends Error {
  override name = 'FailoverRunError';
}

interface Side {
  cluster: FaultCluster;
  prober: AddressProber;
  hosted: HostedWatch;
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function runFailoverBench(opts: BenchOptions): Promise<BenchResults> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const results: BenchResults = new Map();
  for (const daemon of opts.daemons) {
    const side: SideResult = { samples: new Map(), failures: new Map() };
    results.set(daemon, side);
    const why = faultClusterUnavailable(daemon);
    if (why !== undefined) {
      side.skipped = why;
      log(`[${daemon}] skipped: ${why}`);
      continue;
    }
    // SIGSTOP runs get their own cluster when their keepalive tunables differ from CTDB's
    // defaults, so the other faults are still measured at default tunables.
    const groups = groupByTunables(opts);
    for (const group of groups) {
      try {
        await runGroup(daemon, group.faults, group.tunables, opts, side, log);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        for (const f of group.faults)
          for (const fig of figuresOf(f)) push(side.failures, fig, `setup: ${firstLine(msg)}`);
        log(`[${daemon}] ${group.faults.join(',')} failed: ${msg}`);
      }
    }
  }
  return results;
}

function groupByTunables(
  opts: BenchOptions,
): { faults: FaultName[]; tunables: Record<string, number> }[] {
  const custom =
    (opts.keepaliveInterval ?? CTDB_KEEPALIVE_INTERVAL) !== CTDB_KEEPALIVE_INTERVAL ||
    (opts.keepaliveLimit ?? CTDB_KEEPALIVE_LIMIT) !== CTDB_KEEPALIVE_LIMIT;
  const sigstop = opts.faults.includes('sigstop');
  const others = opts.faults.filter((f) => f !== 'sigstop');
  const keepalive = {
    KeepaliveInterval: opts.keepaliveInterval ?? CTDB_KEEPALIVE_INTERVAL,
    KeepaliveLimit: opts.keepaliveLimit ?? CTDB_KEEPALIVE_LIMIT,
  };
  if (!custom) return [{ faults: [...opts.faults], tunables: {} }];
  const groups: { faults: FaultName[]; tunables: Record<string, number> }[] = [];
  if (others.length > 0) groups.push({ faults: others, tunables: {} });
  if (sigstop) groups.push({ faults: ['sigstop'], tunables: keepalive });
  return groups;
}

async function startSide(
  daemon: DaemonKind,
  nodes: number,
  tunables: Record<string, number>,
): Promise<Side> {
  const cluster = await FaultCluster.create({ daemon, nodes, tunables, label: 'fob' });
  try {
    const prober = await AddressProber.start(cluster.lab.client!, cluster.publicAddresses);
    const hosted = await HostedWatch.start(cluster);
    return { cluster, prober, hosted };
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
}

async function stopSide(side: Side | undefined): Promise<void> {
  if (side === undefined) return;
  await side.prober.stop().catch(() => undefined);
  await side.cluster.destroy().catch(() => undefined);
}

async function runGroup(
  daemon: DaemonKind,
  faults: readonly FaultName[],
  tunables: Record<string, number>,
  opts: BenchOptions,
  result: SideResult,
  log: (l: string) => void,
): Promise<void> {
  const tag = `[${daemon}]`;
  const t = Date.now();
  let side: Side | undefined = await startSide(daemon, opts.nodes, tunables);
  log(`${tag} cluster of ${opts.nodes} up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  try {
    for (const fault of faults) {
      for (let run = 0; run < opts.runs; run++) {
        if (side === undefined) {
          side = await startSide(daemon, opts.nodes, tunables);
          log(`${tag} cluster rebuilt`);
        }
        try {
          await prepare(side);
          const figures = await runFault(fault, side, run, opts, tunables);
          for (const [fig, v] of figures) {
            if (typeof v === 'number') push(result.samples, fig, v);
            else push(result.failures, fig, v);
          }
          log(
            `${tag} ${fault} run ${run + 1}/${opts.runs}: ${[...figures]
              .map(([f, v]) => `${f} ${typeof v === 'number' ? `${(v / 1000).toFixed(3)} s` : v}`)
              .join(', ')}`,
          );
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          for (const fig of figuresOf(fault)) push(result.failures, fig, firstLine(msg));
          log(`${tag} ${fault} run ${run + 1}/${opts.runs} failed: ${msg}`);
          // Start the next run from a fresh cluster rather than from an unknown state.
          await stopSide(side);
          side = undefined;
        }
      }
    }
  } finally {
    await stopSide(side);
  }
}

/** Settled cluster, and the client reaching every address at the owner `ctdb ip` reports. */
async function prepare(side: Side): Promise<void> {
  const { cluster, prober } = side;
  await cluster.waitSettled(120_000);
  const start = Date.now();
  let flushed = false;
  for (;;) {
    const owners = await cluster.ipOwners();
    const seen = prober.owners();
    if (cluster.publicAddresses.every((a) => owners.get(a) === seen.get(a))) break;
    // An address given back to a node that never dropped it (after SIGCONT) is not announced
    // again, so the client may keep the released node's MAC until its neighbour entry expires.
    // Between runs that only costs time: make the client resolve the addresses afresh.
    if (!flushed && Date.now() - start > 5000) {
      flushed = true;
      await cluster.lab.client!.run(['ip', 'neigh', 'flush', 'dev', 'eth0']);
    }
    if (Date.now() - start > 30_000)
      throw new FailoverRunError(
        `the client does not reach the addresses at their owners: ctdb ip ${fmt(owners)}, client ${fmt(seen)}`,
      );
    await sleep(200);
  }
  // Every address answered just now, so any later silence is the fault's.
  await prober.allAnswerSince(now(), 10_000);
  await side.hosted.snapshot();
}

function fmt(m: Map<string, number>): string {
  return [...m].map(([a, p]) => `${a}=${p}`).join(' ');
}

/** A non-leader that hosts at least one address (varied across runs). */
async function pickNonLeader(cluster: FaultCluster, run: number): Promise<number> {
  const leader = await cluster.leader();
  const owners = new Set((await cluster.ipOwners()).values());
  const candidates = cluster.nodes.map((n) => n.pnn).filter((p) => p !== leader && owners.has(p));
  const pick = candidates[run % Math.max(1, candidates.length)];
  if (pick === undefined)
    throw new FailoverRunError(`no non-leader hosting an address (leader ${String(leader)})`);
  return pick;
}

async function ctdbTool(
  cluster: FaultCluster,
  pnn: number,
  args: readonly string[],
  debianTool: boolean,
): Promise<RunResult> {
  if (!debianTool) return cluster.ctdb(pnn, args, 60_000);
  const node = cluster.node(pnn);
  return node.host.run([DEBIAN_CTDB, ...args], { env: node.env, timeoutMs: 60_000 });
}

/** A figure's value: ms, or why it was not measured in this run. */
type Outcome = number | string;

async function outcome(p: Promise<number>): Promise<Outcome> {
  try {
    return await p;
  } catch (err) {
    return firstLine(err instanceof Error ? err.message : String(err));
  }
}

/** Both figures of a fault on `victim` from t0: addresses moved, and the client answered. */
async function measure(
  side: Side,
  fault: FaultName,
  victim: number,
  t0: number,
  timeoutMs: number,
  clientTimeoutMs: number,
): Promise<[FigureName, Outcome][]> {
  const [moved, client] = await Promise.all([
    outcome(side.hosted.movedSince(t0, [victim], timeoutMs)),
    outcome(side.prober.allAnswerSince(t0, clientTimeoutMs, { notFrom: [victim] })),
  ]);
  return [
    [`${fault}:moved`, moved],
    [fault, client],
  ];
}

async function runFault(
  fault: FaultName,
  side: Side,
  run: number,
  opts: BenchOptions,
  tunables: Record<string, number>,
): Promise<Map<FigureName, Outcome>> {
  const { cluster } = side;
  const clientTimeout = opts.clientTimeoutMs ?? 30_000;
  const out = new Map<FigureName, Outcome>();
  if (fault === 'kill9') {
    const victim = await pickNonLeader(cluster, run);
    const t0 = now();
    await cluster.kill9(victim);
    for (const [f, v] of await measure(side, fault, victim, t0, 60_000, clientTimeout))
      out.set(f, v);
    await restart(cluster, victim);
  } else if (fault === 'kill9-leader') {
    const leader = await cluster.leader();
    if (leader === undefined) throw new FailoverRunError('no leader agreed on before the fault');
    const survivors = cluster.nodes.map((n) => n.pnn).filter((p) => p !== leader);
    const watchers = await Promise.all(
      survivors.map((p) => LeaderWatcher.start(socketOf(cluster.node(p).base))),
    );
    try {
      const t0 = now();
      await cluster.kill9(leader);
      const [figures, elected] = await Promise.all([
        measure(side, fault, leader, t0, 90_000, Math.max(clientTimeout, 60_000)),
        outcome(newLeaderSince(watchers, t0, [leader], 90_000).then((r) => r.ms)),
      ]);
      out.set('new-leader', elected);
      for (const [f, v] of figures) out.set(f, v);
    } finally {
      for (const w of watchers) w.stop();
    }
    await restart(cluster, leader);
  } else if (fault === 'disable') {
    const victim = await pickNonLeader(cluster, run);
    const t0 = now();
    const cmd = ctdbTool(cluster, victim, ['disable'], opts.debianTool === true);
    const figures = await measure(side, fault, victim, t0, 60_000, clientTimeout);
    const r = await cmd;
    if (r.code !== 0)
      throw new FailoverRunError(`ctdb disable exited ${r.code ?? r.signal}: ${r.stderr}`);
    for (const [f, v] of figures) out.set(f, v);
    const e = await ctdbTool(cluster, victim, ['enable'], opts.debianTool === true);
    if (e.code !== 0)
      throw new FailoverRunError(`ctdb enable exited ${e.code ?? e.signal}: ${e.stderr}`);
  } else {
    const victim = await pickNonLeader(cluster, run);
    const interval = tunables.KeepaliveInterval ?? CTDB_KEEPALIVE_INTERVAL;
    const limit = tunables.KeepaliveLimit ?? CTDB_KEEPALIVE_LIMIT;
    const timeout = 3 * interval * limit * 1000 + 60_000;
    const t0 = now();
    cluster.sigstop(victim);
    try {
      for (const [f, v] of await measure(
        side,
        fault,
        victim,
        t0,
        timeout,
        Math.max(clientTimeout, timeout),
      ))
        out.set(f, v);
    } finally {
      cluster.sigcont(victim);
    }
  }
  return out;
}

/**
 * Brings a killed node back as a rebooted machine would: without its stale addresses, and
 * without what the killed daemon left running (its event daemon, recovery daemon and lock
 * helper notice their parent's death only after a while, and a new ctdbd cannot start its
 * event daemon while the old one holds the node's pid file and socket). They are given two
 * seconds to go on their own, then killed by PID.
 */
async function restart(cluster: FaultCluster, pnn: number): Promise<void> {
  const node = cluster.node(pnn);
  const deadline = Date.now() + 2000;
  for (;;) {
    const left = await leftovers(node.host.ns);
    if (left.length === 0) break;
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(200);
      break;
    }
    await sleep(100);
  }
  await cluster.flushPublicAddresses(pnn);
  cluster.start(pnn);
}

/** PIDs in namespace `ns` of CTDB processes (any daemon, helper or eventscript child). */
async function leftovers(ns: string): Promise<number[]> {
  const r = await runCommand(['ip', 'netns', 'pids', ns], { timeoutMs: 5000 });
  const pids: number[] = [];
  for (const word of r.stdout.split(/\s+/).filter(Boolean)) {
    const pid = Number(word);
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (/ctdb/i.test(cmdline)) pids.push(pid);
  }
  return pids;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

/** The side-by-side table: fault, real CTDB median, ours median, ratio, target. */
export function formatTable(results: BenchResults, opts: BenchOptions): string {
  const figures =
    opts.figures ?? FAULT_NAMES.filter((f) => opts.faults.includes(f)).flatMap((f) => figuresOf(f));
  const sideCell = (daemon: DaemonKind, fig: FigureName): string => {
    const r = results.get(daemon);
    if (r === undefined) return 'not run';
    if (r.skipped !== undefined) return 'skipped';
    const xs = r.samples.get(fig) ?? [];
    const fails = r.failures.get(fig)?.length ?? 0;
    if (xs.length === 0) return fails > 0 ? `failed x${fails}` : '-';
    return `${seconds(median(xs))} (n=${xs.length}${fails > 0 ? `, ${fails} failed` : ''})`;
  };
  const rows: string[][] = [['fault', 'real CTDB median', 'ours median', 'ratio', 'target', 'met']];
  for (const fig of figures) {
    const spec = figureSpec(fig);
    let label = spec.label;
    if (fig.startsWith('sigstop'))
      label += ` (KeepaliveInterval=${opts.keepaliveInterval ?? CTDB_KEEPALIVE_INTERVAL}, Limit=${opts.keepaliveLimit ?? CTDB_KEEPALIVE_LIMIT})`;
    const real = median(results.get('debian')?.samples.get(fig) ?? []);
    const ours = median(results.get('ours')?.samples.get(fig) ?? []);
    const ratio = real !== undefined && ours !== undefined ? (ours / real).toFixed(2) : '-';
    const limit = spec.targetMs === 'real' ? real : spec.targetMs;
    const met = ours === undefined || limit === undefined ? '-' : ours <= limit ? 'yes' : 'no';
    rows.push([label, sideCell('debian', fig), sideCell('ours', fig), ratio, spec.target, met]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const notes: string[] = [
    'addresses moved: every public address on the eth1 of a node other than the faulted one',
    'client answered: every address answered a TCP connect from the client namespace, from such a node',
  ];
  for (const [daemon, r] of results) {
    if (r.skipped !== undefined) notes.push(`${daemon}: skipped: ${r.skipped}`);
    for (const [fig, msgs] of r.failures)
      for (const m of new Set(msgs)) notes.push(`${daemon} ${fig}: ${m}`);
  }
  return [...lines, '', ...notes].join('\n');
}

/** Parses the common command-line options of both bench entry points. */
export function parseBenchArgs(
  argv: readonly string[],
  defaults: { faults: readonly FaultName[]; figures?: readonly FigureName[] },
): BenchOptions & { json: boolean } {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const int = (flag: string, fallback: number | undefined, min: number): number | undefined => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new FailoverRunError(`${flag} needs an integer >= ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  const list = <T extends string>(flag: string, allowed: readonly T[], fallback: readonly T[]) => {
    const v = value(flag);
    if (v === undefined) return [...fallback];
    const items = v.split(',').filter(Boolean);
    for (const item of items)
      if (!allowed.includes(item as T))
        throw new FailoverRunError(`${flag}: unknown ${item}; expected ${allowed.join(', ')}`);
    return items as T[];
  };
  const clientTimeout = int('--client-timeout', undefined, 1);
  const keepaliveInterval = int('--keepalive-interval', undefined, 1);
  const keepaliveLimit = int('--keepalive-limit', undefined, 1);
  return {
    runs: int('--runs', 5, 1)!,
    nodes: int('--nodes', 3, 2)!,
    daemons: list<DaemonKind>('--daemons', ['debian', 'ours'], ['debian', 'ours']),
    faults: list('--faults', FAULT_NAMES, defaults.faults),
    ...(defaults.figures === undefined ? {} : { figures: defaults.figures }),
    ...(keepaliveInterval === undefined ? {} : { keepaliveInterval }),
    ...(keepaliveLimit === undefined ? {} : { keepaliveLimit }),
    debianTool: argv.includes('--debian-tool'),
    ...(clientTimeout === undefined ? {} : { clientTimeoutMs: clientTimeout * 1000 }),
    json: argv.includes('--json'),
  };
}

/** The results as plain JSON (per daemon: samples and failures per figure). */
export function resultsJson(results: BenchResults): unknown {
  return Object.fromEntries(
    [...results].map(([d, r]) => [
      d,
      {
        skipped: r.skipped,
        samples: Object.fromEntries(r.samples),
        medians: Object.fromEntries([...r.samples].map(([f, xs]) => [f, median(xs)])),
        failures: Object.fromEntries(r.failures),
      },
    ]),
  );
}

/** Exits with a message unless running as root (namespaces, ip, SIGKILL of daemons). */
export function requireRoot(name: string): void {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${name}: needs root (network namespaces); run it with sudo\n`);
    process.exit(2);
  }
}
