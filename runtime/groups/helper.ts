// The behaviour of CTDB's `ctdb_natgw` and `ctdb_lvs` helpers (leader | list | status), with
// the same output and exit codes, for `ctdb natgw|lvs` and for eventscripts that ask who the
// leader is. Node states come from running `ctdb -X nodestatus all`, as the helpers do, which
// keeps this independent of the client library.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { GroupError } from './errors.js';
import { readGroupNodes, type GroupMember } from './nodes-file.js';
import { parseNodeStatusMachine, type NodeState } from './nodestatus.js';
import { ctdbBase, scriptOptionValue } from './script-options.js';
import { selectLvsLeader, selectLvsNodes, selectNatgwLeader } from './select.js';

export type GroupKind = 'natgw' | 'lvs';

interface GroupSpec {
  /** The helper's program name, used as the prefix of its error messages. */
  readonly prog: string;
  /** The eventscript whose options file names the nodes file. */
  readonly script: string;
  readonly nodesVariable: string;
  readonly defaultNodesFile: string;
  readonly nodesFilePhrase: string;
  readonly usage: readonly string[];
}

export const GROUPS: Readonly<Record<GroupKind, GroupSpec>> = {
  natgw: {
    prog: 'ctdb_natgw',
    script: '11.natgw',
    nodesVariable: 'CTDB_NATGW_NODES',
    defaultNodesFile: 'natgw_nodes',
    nodesFilePhrase: 'NAT gateway nodes file',
    usage: [
      '  leader     Display node number and private IP address of leader node',
      '  list       List private IP addresses of nodes in group, annotate leader',
      '  status     Show status of nodes in NAT gateway group',
    ],
  },
  lvs: {
    prog: 'ctdb_lvs',
    script: '91.lvs',
    nodesVariable: 'CTDB_LVS_NODES',
    defaultNodesFile: 'lvs_nodes',
    nodesFilePhrase: 'LVS nodes file',
    usage: [
      '  leader     Display node number of leader node',
      '  list       List node number and private IP address of usable nodes in group',
      '  status     Show status of all nodes in LVS group',
    ],
  },
};

export const GROUP_SUBCOMMANDS = ['leader', 'list', 'status'] as const;

export interface HelperIo {
  out(text: string): void;
  err(text: string): void;
}

export interface HelperOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Limit for each `ctdb` run, in milliseconds. */
  readonly timeoutMs?: number;
}

// Exit codes of the shell helpers.
const EXIT_NO_NATGW_LEADER = 2; // the last awk pass found nothing
const EXIT_NO_STATUS = 10; // ctdb_lvs: nodestatus produced nothing
const EXIT_NO_LVS_NODES = 255; // ctdb_lvs: no usable node
const NODESTATUS_FAILED = 255; // `ctdb nodestatus` exit code on failure

interface CtdbRun {
  readonly stdout: string;
  readonly code: number;
}

/** Runs `$CTDB args…` (default `ctdb` on PATH); its stderr goes to ours, as in the shell. */
function runCtdb(args: readonly string[], io: HelperIo, opts: HelperOptions): Promise<CtdbRun> {
  const words = (opts.env.CTDB ?? '').split(/\s+/).filter((w) => w !== '');
  const [file = 'ctdb', ...prefix] = words;
  return new Promise((resolve) => {
    execFile(
      file,
      [...prefix, ...args],
      { env: opts.env, timeout: opts.timeoutMs ?? 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (stderr !== '') io.err(stderr);
        let code = 0;
        if (error !== null) {
          const c = (error as { code?: unknown }).code;
          code = typeof c === 'number' ? c : NODESTATUS_FAILED;
          if (typeof c === 'string') io.err(`${file}: ${error.message}\n`);
        }
        resolve({ stdout, code });
      },
    );
  });
}

function nodesFile(spec: GroupSpec, env: NodeJS.ProcessEnv): string {
  const configured = scriptOptionValue(env, spec.script, spec.nodesVariable);
  return configured === undefined || configured === ''
    ? join(ctdbBase(env), spec.defaultNodesFile)
    : configured;
}

async function machineStatus(io: HelperIo, opts: HelperOptions): Promise<NodeState[]> {
  const run = await runCtdb(['-X', 'nodestatus', 'all'], io, opts);
  return parseNodeStatusMachine(run.stdout);
}

/** Human `ctdb nodestatus all` lines whose address (2nd field) is a group member. */
function memberLines(text: string, members: readonly GroupMember[]): string[] {
  const ips = new Set(members.map((m) => m.ip));
  return text.split('\n').filter((line) => ips.has(line.trim().split(/\s+/)[1] ?? '\0'));
}

async function natgw(
  sub: string,
  members: readonly GroupMember[],
  io: HelperIo,
  opts: HelperOptions,
): Promise<number> {
  switch (sub) {
    case 'leader': {
      const leader = selectNatgwLeader(members, await machineStatus(io, opts));
      if (leader === undefined) return EXIT_NO_NATGW_LEADER;
      io.out(`${leader.pnn} ${leader.ip}\n`);
      return 0;
    }
    case 'list': {
      // As in CTDB, a failure to find the leader only means no line is annotated.
      let leaderIp: string | undefined;
      try {
        leaderIp = selectNatgwLeader(members, await machineStatus(io, opts))?.ip;
      } catch (err) {
        if (!(err instanceof GroupError)) throw err;
      }
      for (const m of members) {
        const notes = [
          ...(m.ip === leaderIp ? ['LEADER'] : []),
          ...(m.followerOnly ? ['follower-only'] : []),
        ];
        io.out(notes.length > 0 ? `${m.ip}\t${notes.join(',')}\n` : `${m.ip}\n`);
      }
      return 0;
    }
    default: {
      const run = await runCtdb(['nodestatus', 'all'], io, opts);
      if (run.code === NODESTATUS_FAILED) {
        io.err(`${GROUPS.natgw.prog}: Unable to get status of nodes\n`);
        return 1;
      }
      for (const line of memberLines(run.stdout, members)) io.out(`${line}\n`);
      return 0;
    }
  }
}

async function lvs(
  sub: string,
  members: readonly GroupMember[],
  io: HelperIo,
  opts: HelperOptions,
): Promise<number> {
  if (sub === 'status') {
    const run = await runCtdb(['nodestatus', 'all'], io, opts);
    if (run.stdout.trim() === '') return EXIT_NO_STATUS;
    for (const line of memberLines(run.stdout, members)) io.out(`${line}\n`);
    return 0;
  }
  const states = await machineStatus(io, opts);
  if (states.length === 0) return EXIT_NO_STATUS;
  if (sub === 'leader') {
    const leader = selectLvsLeader(members, states);
    if (leader === undefined) return EXIT_NO_LVS_NODES;
    io.out(`${leader.pnn}\n`);
    return 0;
  }
  // list: exit 0 even when no node is usable
  for (const n of selectLvsNodes(members, states)) io.out(`${n.pnn} ${n.ip}\n`);
  return 0;
}

function usage(spec: GroupSpec, io: HelperIo): number {
  io.out(`${spec.prog} <option>\n\n<option> is one of:\n${spec.usage.join('\n')}\n`);
  return 1;
}

/**
 * Runs one helper subcommand; returns the exit code `ctdb_natgw` / `ctdb_lvs` would.
 * Input problems are reported on `io.err` as `<prog>: message`.
 */
export async function runGroupHelper(
  kind: GroupKind,
  argv: readonly string[],
  io: HelperIo,
  opts: HelperOptions,
): Promise<number> {
  const spec = GROUPS[kind];
  const sub = argv[0] ?? '';
  if (!(GROUP_SUBCOMMANDS as readonly string[]).includes(sub)) return usage(spec, io);
  try {
    const members = await readGroupNodes(nodesFile(spec, opts.env), spec.nodesFilePhrase);
    return kind === 'natgw'
      ? await natgw(sub, members, io, opts)
      : await lvs(sub, members, io, opts);
  } catch (err) {
    if (!(err instanceof GroupError)) throw err;
    io.err(`${spec.prog}: ${err.message}\n`);
    return err.exitCode;
  }
}
