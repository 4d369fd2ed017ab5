// The node, cluster-state and tunable commands of `ctdb`, with CTDB 4.17's output, machine
// output, exit codes and `-n` handling. Each command runs inside a ToolSession (session.ts),
// which does what the real tool does before any command: connect, learn the local PNN, check
// `-n`, and listen for the leader's broadcasts (so `status` and `leader` can report the leader).
import {
  NodeFlag,
  RecoveryMode,
  RUNSTATES,
  Runstate,
  Srvid,
  UNKNOWN_PNN,
  INVALID_GENERATION,
  Capability,
  debugLevelName,
  parseDebugLevel,
} from '../protocol/constants.js';
import type { NodeMap } from '../protocol/payloads.js';
import { nodemapHuman, nodemapMachine, addrText, type NodeRow } from './format/nodemap.js';
import { nodesFilePath, readNodesFile, type NodesFileEntry } from './format/nodes-file.js';
import { smbStrtoul32 } from './format/numbers.js';
import { ctime, span } from './format/time.js';
import { CommandExit, ToolSession, daemonCommand, localCommand, usageExit } from './session.js';
import type { Command } from './types.js';

/** What `ctdb version` prints: the release whose behaviour this implementation follows. */
export const COMPATIBLE_VERSION = '4.17.12-Debian';

/** Flags with UNKNOWN for peers while this node is still starting (get_nodemap_unknown). */
async function withUnknown(s: ToolSession, nodes: readonly NodeRow[]): Promise<NodeRow[]> {
  let runstate: number;
  try {
    runstate = await s.client.getRunstate(s.cmdPnn);
  } catch (err) {
    s.reportClientError(err);
    s.out('Unable to get runstate');
    throw new CommandExit(1);
  }
  return nodes.map((n) => {
    if ((n.flags & NodeFlag.DELETED) !== 0) return n;
    if (
      runstate <= Runstate.FIRST_RECOVERY &&
      (n.flags & NodeFlag.DISCONNECTED) === 0 &&
      n.pnn !== s.cmdPnn
    ) {
      return { ...n, flags: NodeFlag.UNKNOWN };
    }
    return n;
  });
}

/** Nodes with flags 0 that have an interface whose link is down. */
async function partiallyOnline(s: ToolSession, nodes: readonly NodeRow[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (const n of nodes) {
    if (n.flags !== 0) continue;
    try {
      const ifaces = await s.client.getIfaces(n.pnn);
      if (ifaces.some((i) => i.linkState === 0)) out.add(n.pnn);
    } catch (err) {
      // A node whose interfaces cannot be read is simply not "partially online".
      s.reportClientError(err);
    }
  }
  return out;
}

async function printNodemap(
  s: ToolSession,
  nodes: readonly NodeRow[],
  header: boolean,
): Promise<void> {
  const partial = await partiallyOnline(s, nodes);
  if (s.ctx.options.machine) {
    s.out(nodemapMachine(nodes, s.cmdPnn, s.sep, partial));
  } else {
    s.out(nodemapHuman(nodes, s.cmdPnn, header, partial));
  }
}

/** check_flags: true if the command still has work to do. */
async function needsChange(
  s: ToolSession,
  desc: string,
  flag: number,
  set: boolean,
): Promise<boolean> {
  const map = await s.getNodemap();
  const node = map.nodes[s.cmdPnn];
  const isSet = node !== undefined && (node.flags & flag) !== 0;
  if (isSet === set) {
    s.err(set ? `Node ${s.cmdPnn} is already ${desc}\n` : `Node ${s.cmdPnn} is not ${desc}\n`);
    return false;
  }
  return true;
}

/** Polls the local node's view until `flag` on the target node is `set` (wait_for_flags). */
async function waitForFlags(s: ToolSession, flag: number, set: boolean): Promise<void> {
  for (;;) {
    let map: NodeMap | undefined;
    try {
      s.replaceNodemap(undefined);
      map = await s.client.getNodemap(s.pnn);
      s.replaceNodemap(map);
    } catch {
      s.err('Failed to get nodemap, trying again\n');
      await s.sleep(1000);
      continue;
    }
    const node = map.nodes[s.cmdPnn];
    if (node !== undefined && ((node.flags & flag) !== 0) === set) return;
    await s.sleep(1000);
  }
}

function noArgs(s: ToolSession, args: readonly string[], name: string): void {
  if (args.length !== 0) usageExit(s.ctx, name);
}

// ---------------------------------------------------------------------------------------------
// Commands

const version = localCommand('version', (ctx) => {
  ctx.io.out(`${COMPATIBLE_VERSION}\n`);
  return 0;
});

const listnodes = localCommand('listnodes', (ctx, args) => {
  if (args.length !== 0) usageExit(ctx, 'listnodes');
  const path = nodesFilePath(ctx.env);
  const nodes = readNodesFile(path);
  if (nodes === undefined) {
    ctx.io.err(`Failed to read nodes file "${path}"\n`);
    return 1;
  }
  const sep = ctx.options.separator;
  let out = '';
  for (const n of nodes) {
    if ((n.flags & NodeFlag.DELETED) !== 0) continue;
    out += ctx.options.machine
      ? `${sep}${n.pnn}${sep}${addrText(n.addr)}${sep}\n`
      : `${addrText(n.addr)}\n`;
  }
  ctx.io.out(out);
  return 0;
});

const pnn = daemonCommand('pnn', false, (s) => {
  s.out(`${s.pnn}\n`);
  return 0;
});

const status = daemonCommand('status', true, async (s, args) => {
  noArgs(s, args, 'status');
  const map = await s.getNodemap();
  const nodes = await withUnknown(s, map.nodes);
  if (s.ctx.options.machine) {
    await printNodemap(s, nodes, true);
    return 0;
  }
  const vnnmap = await s.must(s.client.getVnnmap(s.cmdPnn));
  const recmode = await s.must(s.client.getRecmode(s.cmdPnn));
  const leader = await s.getLeader();
  await printNodemap(s, nodes, true);
  let out =
    vnnmap.generation === INVALID_GENERATION
      ? 'Generation:INVALID\n'
      : `Generation:${vnnmap.generation}\n`;
  out += `Size:${vnnmap.map.length}\n`;
  vnnmap.map.forEach((lmaster, i) => {
    out += `hash:${i} lmaster:${lmaster}\n`;
  });
  out += `Recovery mode:${recmode === RecoveryMode.NORMAL ? 'NORMAL' : 'RECOVERY'} (${recmode})\n`;
  out += `Leader:${leader === UNKNOWN_PNN ? 'UNKNOWN' : leader}\n`;
  s.out(out);
  return 0;
});

const nodestatus = daemonCommand('nodestatus', true, async (s, args) => {
  if (args.length > 1) usageExit(s.ctx, 'nodestatus');
  const spec = args[0];
  const map = await s.getNodemap();
  let selected: NodeRow[];
  if (spec === undefined) {
    selected = map.nodes.filter((n) => n.pnn === s.cmdPnn).slice(0, 1);
  } else if (spec === 'all') {
    selected = [...map.nodes];
  } else {
    selected = [];
    for (const tok of spec.split(',').filter((t) => t !== '')) {
      const n = smbStrtoul32(tok);
      if (!n.ok) {
        s.err(`Invalid node ${tok}\n`);
        return 1;
      }
      const node = map.nodes.find((x) => x.pnn === n.value);
      if (node === undefined) {
        s.err(`Node ${n.value} does not exist\n`);
        return 1;
      }
      selected.push(node);
    }
  }
  const nodes = await withUnknown(s, selected);
  await printNodemap(s, nodes, spec === 'all');
  let rc = 0;
  for (const n of nodes) if ((n.flags & NodeFlag.DELETED) === 0) rc |= n.flags;
  return rc;
});

const uptime = daemonCommand('uptime', true, async (s) => {
  const u = await s.must(s.client.uptime(s.cmdPnn));
  const now = u.currentTime.sec;
  const duration =
    u.lastRecoveryFinished.sec -
    u.lastRecoveryStarted.sec +
    (u.lastRecoveryFinished.usec - u.lastRecoveryStarted.usec) * 1e-6;
  s.out(
    `Current time of node ${String(s.cmdPnn).padEnd(4)}     :                ${ctime(now)}\n` +
      `Ctdbd start time              : (${span(now - u.ctdbdStartTime.sec)}) ${ctime(u.ctdbdStartTime.sec)}\n` +
      `Time of last recovery/failover: (${span(now - u.lastRecoveryFinished.sec)}) ${ctime(u.lastRecoveryFinished.sec)}\n` +
      `Duration of last recovery/failover: ${duration.toFixed(6)} seconds\n`,
  );
  return 0;
});

const ping = daemonCommand('ping', true, async (s) => {
  const t0 = process.hrtime.bigint();
  const clients = await s.must(s.client.ping(s.cmdPnn));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  s.out(`response from ${s.cmdPnn} time=${elapsed.toFixed(6)} sec  (${clients} clients)\n`);
  return 0;
});

const runstate = daemonCommand('runstate', true, async (s, args) => {
  const state = await s.must(s.client.getRunstate(s.cmdPnn));
  const name = RUNSTATES[state] ?? 'UNKNOWN';
  let found = true;
  for (const a of args) {
    found = false;
    const wanted = RUNSTATES.findIndex((r) => r.toLowerCase() === a.toLowerCase());
    if (wanted <= 0) {
      s.out(`Invalid run state (${a})\n`);
      return 1;
    }
    if (wanted === state) {
      found = true;
      break;
    }
  }
  if (!found) {
    s.out(`CTDB not in required run state (got ${name})\n`);
    return 1;
  }
  s.out(`${name}\n`);
  return 0;
});

/** Looks `name` up (case-insensitively) in LIST_TUNABLES; prints CTDB's messages if absent. */
async function knownTunable(s: ToolSession, name: string): Promise<boolean> {
  const list = await s.must(
    s.client.listTunables(s.cmdPnn),
    `Failed to get list of variables from node ${s.cmdPnn}\n`,
  );
  if (list.some((v) => v.toLowerCase() === name.toLowerCase())) return true;
  s.out(`No such tunable ${name}\n`);
  return false;
}

async function printVar(s: ToolSession, name: string): Promise<number> {
  if (!(await knownTunable(s, name))) return 1;
  const value = await s.must(s.client.getTunable(s.cmdPnn, name));
  s.out(`${name.padEnd(26)} = ${value}\n`);
  return 0;
}

const getvar = daemonCommand('getvar', true, async (s, args) => {
  if (args.length !== 1) usageExit(s.ctx, 'getvar');
  return printVar(s, args[0]!);
});

const setvar = daemonCommand('setvar', true, async (s, args) => {
  if (args.length !== 2) usageExit(s.ctx, 'setvar');
  const [name, text] = args as [string, string];
  if (!(await knownTunable(s, name))) return 1;
  const value = smbStrtoul32(text);
  if (!value.ok) return value.errno;
  const r = await s.must(s.client.setTunable(s.cmdPnn, name, value.value));
  if (r === 'obsolete') s.err(`Setting obsolete tunable variable '${name}'\n`);
  return 0;
});

const listvars = daemonCommand('listvars', true, async (s, args) => {
  noArgs(s, args, 'listvars');
  const list = await s.must(s.client.listTunables(s.cmdPnn));
  for (const name of list) {
    // Each line is a full getvar, as in CTDB (a failure on one does not stop the rest).
    try {
      await printVar(s, name);
    } catch (err) {
      if (!(err instanceof CommandExit)) throw err;
    }
  }
  return 0;
});

const getcapabilities = daemonCommand('getcapabilities', true, async (s, args) => {
  noArgs(s, args, 'getcapabilities');
  const caps = await s.must(s.client.getCapabilities(s.cmdPnn));
  const leader = (caps & Capability.RECMASTER) !== 0;
  const lmaster = (caps & Capability.LMASTER) !== 0;
  if (s.ctx.options.machine) {
    const sep = s.ctx.options.separator;
    s.out(
      `${sep}LEADER${sep}LMASTER${sep}\n${sep}${leader ? 1 : 0}${sep}${lmaster ? 1 : 0}${sep}\n`,
    );
  } else {
    s.out(`LEADER: ${leader ? 'YES' : 'NO'}\nLMASTER: ${lmaster ? 'YES' : 'NO'}\n`);
  }
  return 0;
});

function roleCommand(name: 'setleaderrole' | 'setlmasterrole'): Command {
  return daemonCommand(name, true, async (s, args) => {
    if (args.length !== 1) usageExit(s.ctx, name);
    const arg = args[0];
    if (arg !== 'on' && arg !== 'off') usageExit(s.ctx, name);
    const on = arg === 'on';
    await s.must(
      name === 'setleaderrole'
        ? s.client.setLeaderRole(s.cmdPnn, on)
        : s.client.setLmasterRole(s.cmdPnn, on),
    );
    return 0;
  });
}

interface FlagCommandSpec {
  readonly name: string;
  readonly desc: string;
  readonly flag: number;
  readonly set: boolean;
  readonly failure: string;
  readonly act: (s: ToolSession) => Promise<void>;
}

function flagCommand(spec: FlagCommandSpec): Command {
  return daemonCommand(spec.name, true, async (s, args) => {
    noArgs(s, args, spec.name);
    if (!(await needsChange(s, spec.desc, spec.flag, spec.set))) return 0;
    await s.must(spec.act(s), `${spec.failure} ${s.cmdPnn}\n`);
    await waitForFlags(s, spec.flag, spec.set);
    return s.ipreallocate();
  });
}

const disable = flagCommand({
  name: 'disable',
  desc: 'disabled',
  flag: NodeFlag.PERMANENTLY_DISABLED,
  set: true,
  failure: 'Failed to disable node',
  act: (s) => s.client.disableNode(s.cmdPnn),
});
const enable = flagCommand({
  name: 'enable',
  desc: 'disabled',
  flag: NodeFlag.PERMANENTLY_DISABLED,
  set: false,
  failure: 'Failed to enable node',
  act: (s) => s.client.enableNode(s.cmdPnn),
});
const stop = flagCommand({
  name: 'stop',
  desc: 'stopped',
  flag: NodeFlag.STOPPED,
  set: true,
  failure: 'Failed to stop node',
  act: (s) => s.client.stopNode(s.cmdPnn),
});
const cont = flagCommand({
  name: 'continue',
  desc: 'stopped',
  flag: NodeFlag.STOPPED,
  set: false,
  failure: 'Failed to continue stopped node',
  act: (s) => s.client.continueNode(s.cmdPnn),
});
const unban = flagCommand({
  name: 'unban',
  desc: 'banned',
  flag: NodeFlag.BANNED,
  set: false,
  failure: 'Failed to unban node',
  act: (s) => s.client.setBanState(s.cmdPnn, { pnn: s.cmdPnn, time: 0 }),
});

const ban = daemonCommand('ban', true, async (s, args) => {
  if (args.length !== 1) usageExit(s.ctx, 'ban');
  if (!(await needsChange(s, 'banned', NodeFlag.BANNED, true))) return 0;
  const time = smbStrtoul32(args[0]!);
  if (!time.ok) return time.errno;
  if (time.value === 0) {
    s.err('Ban time cannot be zero\n');
    return 22;
  }
  await s.must(
    s.client.setBanState(s.cmdPnn, { pnn: s.cmdPnn, time: time.value }),
    `Failed to ban node ${s.cmdPnn}\n`,
  );
  await waitForFlags(s, NodeFlag.BANNED, true);
  return s.ipreallocate();
});

const getpid = daemonCommand('getpid', true, async (s) => {
  const pid = await s.must(s.client.getPid(s.cmdPnn));
  s.out(`${pid}\n`);
  return 0;
});

const leader = daemonCommand('leader', true, async (s) => {
  const l = await s.getLeader();
  s.out(`${l === UNKNOWN_PNN ? 'UNKNOWN' : l}\n`);
  return 0;
});

const getdebug = daemonCommand('getdebug', true, async (s, args) => {
  noArgs(s, args, 'getdebug');
  const level = await s.must(s.client.getDebug(s.cmdPnn));
  s.out(`${debugLevelName(level | 0)}\n`);
  return 0;
});

const setdebug = daemonCommand('setdebug', true, async (s, args) => {
  if (args.length !== 1) usageExit(s.ctx, 'setdebug');
  const level = parseDebugLevel(args[0]!);
  if (level === undefined) {
    s.err(`Invalid debug level '${args[0]}'. Valid levels are:\n`);
    s.err('\tERROR | WARNING | NOTICE | INFO | DEBUG\n');
    return 1;
  }
  await s.must(s.client.setDebug(s.cmdPnn, level));
  return 0;
});

const getreclock = daemonCommand('getreclock', true, async (s, args) => {
  noArgs(s, args, 'getreclock');
  const path = await s.must(s.client.getReclockFile(s.cmdPnn));
  if (path !== undefined) s.out(`${path}\n`);
  return 0;
});

const shutdown = daemonCommand('shutdown', true, async (s, args) => {
  noArgs(s, args, 'shutdown');
  const local = s.pnn === s.cmdPnn;
  const gone = local
    ? new Promise<void>((resolve) => {
        s.client.connection.onDisconnect(resolve);
      })
    : Promise.resolve();
  await s.must(s.client.shutdown(s.cmdPnn), `Unable to shutdown node ${s.cmdPnn}\n`);
  await gone;
  return 0;
});

/** The generation, waiting while the leader is in recovery or the generation is invalid. */
async function stableGeneration(s: ToolSession): Promise<number> {
  for (;;) {
    const l = await s.getLeader();
    const recmode = await s.must(
      s.client.getRecmode(l),
      `Failed to get recovery mode from node ${l}\n`,
    );
    if (recmode === RecoveryMode.ACTIVE) {
      await s.sleep(1000);
      continue;
    }
    const v = await s.must(s.client.getVnnmap(l), `Failed to get generation from node ${l}\n`);
    if (v.generation === INVALID_GENERATION) {
      await s.sleep(1000);
      continue;
    }
    return v.generation;
  }
}

const recover = daemonCommand('recover', true, async (s, args) => {
  noArgs(s, args, 'recover');
  const before = await stableGeneration(s);
  await s.must(
    s.client.setRecmode(s.cmdPnn, RecoveryMode.ACTIVE),
    'Failed to set recovery mode active\n',
  );
  for (;;) {
    const now = await stableGeneration(s);
    if (now !== before) return 0;
    await s.sleep(1000);
  }
});

function sameNodes(a: readonly NodesFileEntry[] | NodeMap['nodes'], b: NodeMap['nodes']): boolean {
  if (a.length !== b.length) return false;
  return a.every((n, i) => {
    const m = b[i]!;
    return n.pnn === m.pnn && n.flags === m.flags && n.addr.address === m.addr.address;
  });
}

/** disable_recoveries: DISABLE_RECOVERIES to each node, waiting for every answer. */
function disableRecoveries(
  s: ToolSession,
  timeout: number,
  pnns: readonly number[],
): Promise<number> {
  return s.disableOnNodes(Srvid.DISABLE_RECOVERIES, 'disable recoveries', timeout, pnns);
}

const reloadnodes = daemonCommand('reloadnodes', false, async (s) => {
  const map = await s.getNodemap();
  const path = nodesFilePath(s.ctx.env);
  const file = readNodesFile(path);
  if (file === undefined) {
    s.err(`Failed to read nodes file "${path}"\n`);
    return 1;
  }
  for (const n of map.nodes) {
    if ((n.flags & NodeFlag.DISCONNECTED) !== 0) continue;
    const remote = await s.must(
      s.client.getNodesFile(n.pnn),
      `ERROR: Failed to get nodes file from node ${n.pnn}\n`,
    );
    if (!sameNodes(file, remote.nodes)) {
      s.err(`ERROR: Nodes file on node ${n.pnn} differs from current node (${s.pnn})\n`);
      return 1;
    }
  }
  // Compare the daemon's view with the file (check_node_file_changes).
  let reload = false;
  let checkFailed = false;
  let i = 0;
  for (; i < map.nodes.length; i++) {
    const n = map.nodes[i]!;
    const f = file[i];
    if (f === undefined) {
      s.err(`Node ${n.pnn} (${addrText(n.addr)}) missing from nodes file\n`);
      checkFailed = true;
      continue;
    }
    const nDel = (n.flags & NodeFlag.DELETED) !== 0;
    const fDel = (f.flags & NodeFlag.DELETED) !== 0;
    if (nDel && fDel) continue;
    if (!nDel && !fDel) {
      if (n.addr.address !== f.addr.address) {
        s.err(
          `Node ${n.pnn} has changed IP address (was ${addrText(n.addr)}, now ${addrText(f.addr)})\n`,
        );
        checkFailed = true;
      } else if ((n.flags & NodeFlag.DISCONNECTED) !== 0) {
        s.err(`WARNING: Node ${n.pnn} is disconnected. You MUST fix this node manually!\n`);
      }
      continue;
    }
    if (fDel) {
      s.out(`Node ${n.pnn} is DELETED\n`);
      reload = true;
      if ((n.flags & NodeFlag.DISCONNECTED) === 0) {
        s.err(`ERROR: Node ${n.pnn} is still connected\n`);
        checkFailed = true;
      }
      continue;
    }
    s.out(`Node ${n.pnn} is UNDELETED\n`);
    reload = true;
  }
  if (checkFailed) {
    s.err('ERROR: Nodes will not be reloaded due to previous error\n');
    return 1;
  }
  for (; i < file.length; i++) {
    s.out(`Node ${file[i]!.pnn} is NEW\n`);
    reload = true;
  }
  if (!reload) {
    s.err('No change in nodes file, skipping unnecessary reload\n');
    return 0;
  }
  const connected = map.nodes
    .filter((n) => (n.flags & NodeFlag.DISCONNECTED) === 0 && (n.flags & NodeFlag.DELETED) === 0)
    .map((n) => n.pnn);
  let rc = await disableRecoveries(s, 2 * s.ctx.options.timeout, connected);
  if (rc !== 0) {
    s.err('Failed to disable recoveries\n');
    return rc;
  }
  const results = await Promise.allSettled(connected.map((p) => s.client.reloadNodesFile(p)));
  if (results.some((r) => r.status === 'rejected')) {
    results.forEach((r, j) => {
      if (r.status === 'rejected') s.err(`Node ${connected[j]} failed to reload nodes\n`);
    });
    s.err('You MUST fix failed nodes manually!\n');
  }
  rc = await disableRecoveries(s, 0, connected);
  if (rc !== 0) {
    s.err('Failed to enable recoveries\n');
    return rc;
  }
  return 0;
});

export const commands: readonly Command[] = [
  version,
  status,
  nodestatus,
  listnodes,
  pnn,
  uptime,
  ping,
  runstate,
  getvar,
  setvar,
  listvars,
  getcapabilities,
  roleCommand('setleaderrole'),
  roleCommand('setlmasterrole'),
  disable,
  enable,
  stop,
  cont,
  ban,
  unban,
  getpid,
  leader,
  getdebug,
  setdebug,
  reloadnodes,
  shutdown,
  recover,
  getreclock,
];
