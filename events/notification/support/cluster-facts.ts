// What a notification says about the node and the cluster: this node's PNN and address and
// every node's state, from `ctdb -X nodestatus all` (the ThisNode column marks us), and the
// `ctdb status` text for humans. When ctdbd cannot be reached, the facts say so instead.
import { hostname } from 'node:os';
import { runAllowingFailure } from '../../../lib/shell/index.js';

export interface NodeRow {
  readonly pnn: number;
  readonly ip: string;
  /** CTDB's flag names (`OK` when none), as `ctdb status` prints them. */
  readonly state: string;
  readonly thisNode: boolean;
}

export interface ClusterFacts {
  readonly hostname: string;
  /** This node's PNN, or -1 when ctdbd could not be asked. */
  readonly pnn: number;
  /** This node's private address, or '' when unknown. */
  readonly address: string;
  /** Every node's state, undefined when ctdbd could not be reached. */
  readonly nodes: readonly NodeRow[] | undefined;
  /** One line, e.g. `0:OK 1:UNHEALTHY 2:DISCONNECTED|INACTIVE`, or why it is unknown. */
  readonly clusterState: string;
}

const FLAG_COLUMNS: readonly [index: number, name: string][] = [
  [2, 'DISCONNECTED'],
  [3, 'UNKNOWN'],
  [5, 'DISABLED'],
  [4, 'BANNED'],
  [6, 'UNHEALTHY'],
  [7, 'STOPPED'],
  [8, 'INACTIVE'],
];

function ctdbCommand(env: Readonly<Record<string, string | undefined>>): [string, string[]] {
  const [file = 'ctdb', ...prefix] = (env.CTDB ?? '').split(/\s+/).filter((w) => w !== '');
  return [file, prefix];
}

interface CtdbOutput {
  readonly stdout: string;
  /** Why there is no usable output, if there is none. */
  readonly failure: string | undefined;
}

async function runCtdb(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<CtdbOutput> {
  const [file, prefix] = ctdbCommand(env);
  try {
    // `ctdb nodestatus` and `ctdb status` exit non-zero when a node has flags: use the output.
    const r = await runAllowingFailure(file, [...prefix, ...args], {
      env,
      signal,
      timeoutMs,
    });
    if (r.stdout.trim() !== '') return { stdout: r.stdout, failure: undefined };
    const why = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l !== '');
    return { stdout: '', failure: why.at(-1) ?? `exit code ${r.exitCode}` };
  } catch (err) {
    return { stdout: '', failure: err instanceof Error ? err.message : String(err) };
  }
}

export function parseNodeRows(machine: string): NodeRow[] {
  const rows: NodeRow[] = [];
  for (const line of machine.split('\n').slice(1)) {
    const f = line.replace(/^\|/, '').replace(/\|$/, '').split('|');
    if (f.length !== 11 || !/^\d+$/.test(f[0] ?? '')) continue;
    const names = FLAG_COLUMNS.filter(([i]) => f[i] === '1').map(([, n]) => n);
    const state = f[9] === '1' ? 'PARTIALLYONLINE' : names.length > 0 ? names.join('|') : 'OK';
    rows.push({ pnn: Number(f[0]), ip: f[1] ?? '', state, thisNode: f[10] === 'Y' });
  }
  return rows;
}

/** Gathers the node and cluster facts; never throws. */
export async function clusterFacts(
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
  timeoutMs = 5000,
): Promise<ClusterFacts> {
  const host = hostname();
  const out = await runCtdb(['-X', 'nodestatus', 'all'], env, signal, timeoutMs);
  const nodes = out.failure === undefined ? parseNodeRows(out.stdout) : [];
  if (nodes.length === 0) {
    return {
      hostname: host,
      pnn: -1,
      address: '',
      nodes: undefined,
      clusterState: `unknown: ctdbd unreachable (${out.failure ?? 'no node status'})`,
    };
  }
  const me = nodes.find((n) => n.thisNode);
  return {
    hostname: host,
    pnn: me?.pnn ?? -1,
    address: me?.ip ?? '',
    nodes,
    clusterState: nodes.map((n) => `${n.pnn}:${n.state}`).join(' '),
  };
}

/** `ctdb status` as text, or a sentence saying ctdbd could not be reached and why. */
export async function clusterStatusText(
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
  timeoutMs = 5000,
): Promise<string> {
  const out = await runCtdb(['status'], env, signal, timeoutMs);
  return out.failure === undefined
    ? out.stdout.trimEnd()
    : `The cluster status is unavailable: ctdbd could not be reached (${out.failure}).`;
}
