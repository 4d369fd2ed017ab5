#!/usr/bin/env ctdb-eventscript
// 91.lvs: a single public address for the whole cluster, load-balanced by the Linux Virtual
// Server (IPVS) on one node, the LVS leader chosen by `ctdb_lvs leader`. Every node holds the
// address on `lo`; on followers it has scope host and the node ignores ARP for it, so only the
// leader answers ARP and receives the clients' packets, which IPVS forwards by direct routing
// (`-g`) to the usable nodes (`ctdb_lvs list`) and to itself. Replies go straight from each
// node to the client. Options, messages and commands as CTDB 4.17.
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { optionalString } from '../../lib/options/kinds.js';
import { ScriptExit } from '../../lib/errors/index.js';
import { ctdbGratarp, ctdbHelperBinDir, isFollowerOnly } from '../../lib/ctdb/index.js';

import { flushRouteCache, interfaceMonitor } from '../../lib/net/index.js';
import { setProcMaybe } from '../../lib/system/index.js';
import { runAllowingFailure } from '../../lib/shell/index.js';
import { formatKillReport, killTcpConnections } from '../../lib/tcp/index.js';

const options = {
  CTDB_LVS_NODES: optionalString('File listing the private IPs of the LVS group.'),
  CTDB_LVS_PUBLIC_IP: optionalString('The single public address clients use.'),
  CTDB_LVS_PUBLIC_IFACE: optionalString('Interface the leader answers ARP for the address on.'),
};

type Ctx = EventContext<typeof options>;

/** Persistence timeout CTDB gives the virtual services (seconds; effectively "forever"). */
const PERSISTENCE_S = '1999999';

async function onPath(program: string, env: Readonly<Record<string, string | undefined>>) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

interface LvsConfig {
  readonly nodes: string;
  readonly ip: string;
  /** Empty on a follower-only node without one. */
  readonly iface: string;
}

async function checkConfig(ctx: Ctx): Promise<LvsConfig> {
  const o = ctx.options;
  const nodes = o.CTDB_LVS_NODES ?? '';
  try {
    await readFile(nodes);
  } catch {
    throw new ScriptExit(`error: CTDB_LVS_NODES=${nodes} unreadable`);
  }
  if (o.CTDB_LVS_PUBLIC_IP === undefined)
    throw new ScriptExit('Invalid configuration: CTDB_LVS_PUBLIC_IP not set');
  if (
    o.CTDB_LVS_PUBLIC_IFACE === undefined &&
    !(await isFollowerOnly({ env: ctx.env, signal: ctx.signal }, nodes))
  )
    throw new ScriptExit('Invalid configuration: CTDB_LVS_PUBLIC_IFACE not set');
  return { nodes, ip: o.CTDB_LVS_PUBLIC_IP, iface: o.CTDB_LVS_PUBLIC_IFACE ?? '' };
}

function so(ctx: Ctx) {
  return { signal: ctx.signal };
}

async function ipvsadm(ctx: Ctx, args: string[], quiet: boolean): Promise<void> {
  const r = await runAllowingFailure('ipvsadm', args, so(ctx));
  if (!quiet) ctx.print(r.stdout + r.stderr);
}

async function deleteServices(ctx: Ctx, ip: string, quiet: boolean): Promise<void> {
  await ipvsadm(ctx, ['-D', '-t', ip], quiet);
  await ipvsadm(ctx, ['-D', '-u', ip], quiet);
}

/** `ip addr …` on lo; prints what `ip` says unless QUIET. */
async function ipAddr(ctx: Ctx, args: string[], quiet: boolean): Promise<void> {
  const r = await runAllowingFailure('ip', ['addr', ...args], so(ctx));
  if (!quiet) ctx.print(r.stdout + r.stderr);
}

async function helper(ctx: Ctx, cfg: LvsConfig, sub: 'leader' | 'list'): Promise<string> {
  const r = await runAllowingFailure(join(ctdbHelperBinDir(ctx.env), 'ctdb_lvs'), [sub], {
    env: { ...process.env, ...ctx.env, CTDB_LVS_NODES: cfg.nodes },
    signal: ctx.signal,
  });
  if (r.stderr !== '') ctx.print(r.stderr);
  return r.stdout;
}

async function ipreallocated(ctx: Ctx, cfg: LvsConfig): Promise<void> {
  // Drop the services and this node's connections to the address: the pool changes.
  await deleteServices(ctx, cfg.ip, true);
  if (cfg.iface !== '') {
    try {
      const report = await killTcpConnections(cfg.iface, cfg.ip, { oneway: true });
      for (const line of formatKillReport(cfg.ip, report)) ctx.print(`${line}\n`);
    } catch (err) {
      ctx.log.warn({ err }, 'could not kill connections');
    }
  }

  const pnn = String(await ctx.pnn());
  const leader = (await helper(ctx, cfg, 'leader')).trim();
  const host = `${cfg.ip}/32`;
  if (pnn !== leader) {
    // Scope host: this node keeps accepting forwarded packets but does not answer ARP.
    await ipAddr(ctx, ['del', host, 'dev', 'lo'], true);
    await ipAddr(ctx, ['add', host, 'dev', 'lo', 'scope', 'host'], false);
    return;
  }

  // The leader answers ARP for the address.
  await ipAddr(ctx, ['del', host, 'dev', 'lo'], true);
  await ipAddr(ctx, ['add', host, 'dev', 'lo'], true);

  await ipvsadm(ctx, ['-A', '-t', cfg.ip, '-p', PERSISTENCE_S, '-s', 'lc'], false);
  await ipvsadm(ctx, ['-A', '-u', cfg.ip, '-p', PERSISTENCE_S, '-s', 'lc'], false);
  const others = (await helper(ctx, cfg, 'list'))
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, ip]) => p !== undefined && p !== '' && ip !== undefined && p !== pnn)
    .map(([, ip]) => ip!);
  for (const real of others) {
    await ipvsadm(ctx, ['-a', '-t', cfg.ip, '-r', real, '-g'], false);
    await ipvsadm(ctx, ['-a', '-u', cfg.ip, '-r', real, '-g'], false);
  }
  await ipvsadm(ctx, ['-a', '-t', cfg.ip, '-r', '127.0.0.1'], false);
  await ipvsadm(ctx, ['-a', '-u', cfg.ip, '-r', '127.0.0.1'], false);

  await ctdbGratarp(cfg.ip, cfg.iface, { env: ctx.env, signal: ctx.signal });
  await flushRouteCache();
}

/**
 * Every hook starts here: undefined (exit 0) when LVS is not configured, or when ipvsadm is
 * missing (CTDB says so and succeeds).
 */
async function prepare(ctx: Ctx): Promise<LvsConfig | undefined> {
  if (ctx.options.CTDB_LVS_NODES === undefined) return undefined;
  if (!(await onPath('ipvsadm', { PATH: process.env.PATH, ...ctx.env }))) {
    ctx.print('LVS configured but ipvsadm not found\n');
    return undefined;
  }
  return checkConfig(ctx);
}

export default defineEventScript({
  description: 'LVS: one public address load-balanced over the cluster by IPVS.',
  options,

  async setup(_args, ctx: Ctx) {
    await prepare(ctx);
  },

  async startup(_args, ctx: Ctx) {
    const cfg = await prepare(ctx);
    if (cfg === undefined) return;
    await deleteServices(ctx, cfg.ip, true);
    await ipAddr(ctx, ['add', `${cfg.ip}/32`, 'dev', 'lo', 'scope', 'host'], false);
    // Do not answer ARP for scope-host addresses, nor send ARP from addresses on lo.
    await setProcMaybe('sys/net/ipv4/conf/all/arp_ignore', 3);
    await setProcMaybe('sys/net/ipv4/conf/all/arp_announce', 2);
  },

  async shutdown(_args, ctx: Ctx) {
    const cfg = await prepare(ctx);
    if (cfg === undefined) return;
    await deleteServices(ctx, cfg.ip, false);
    await ipAddr(ctx, ['del', `${cfg.ip}/32`, 'dev', 'lo'], true);
    await flushRouteCache();
  },

  async ipreallocated(_args, ctx: Ctx) {
    const cfg = await prepare(ctx);
    if (cfg !== undefined) await ipreallocated(ctx, cfg);
  },

  async monitor(_args, ctx: Ctx) {
    const cfg = await prepare(ctx);
    if (cfg === undefined || cfg.iface === '') return;
    const status = await interfaceMonitor(cfg.iface);
    if (!status.up) throw new ScriptExit(status.message);
  },
});
