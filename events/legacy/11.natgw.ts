#!/usr/bin/env ctdb-eventscript
// 11.natgw: one node of the NAT gateway group (the leader, chosen by `ctdb_natgw leader`) holds
// CTDB_NATGW_PUBLIC_IP and masquerades the private network; every other node routes the
// configured destinations (default 0.0.0.0/0) through the leader's private address with
// metric 10, so nodes without a public address can still reach the outside. Applied on
// ipreallocated (and the admin event updatenatgw) when the leader or the configuration
// changed; removed on shutdown and removenatgw. Options, messages and state files as CTDB 4.17.
//
// Routes are added with metric 10 so that a node's own default route (metric 0), if it has
// one through a public address, wins over the gateway.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { optionalString } from '../../lib/options/kinds.js';
import { NetlinkError, ScriptExit, strerror } from '../../lib/errors/index.js';
import {
  ctdbBase,
  ctdbHelperBinDir,
  ctdbScriptVarDir,
  isFollowerOnly,
} from '../../lib/ctdb/index.js';

import {
  addRoute,
  deleteIpFromIface,
  deleteRoute,
  flushRouteCache,
  interfaceMonitor,
} from '../../lib/net/index.js';
import { iptablesStatus } from '../../lib/firewall/index.js';
import { setProc } from '../../lib/system/index.js';
import { run, runAllowingFailure } from '../../lib/shell/index.js';

const options = {
  CTDB_NATGW_NODES: optionalString('File listing the private IPs of the NAT gateway group.'),
  CTDB_NATGW_PUBLIC_IP: optionalString('Gateway address with mask bits, e.g. 10.1.1.121/24.'),
  CTDB_NATGW_PUBLIC_IFACE: optionalString('Interface that holds CTDB_NATGW_PUBLIC_IP.'),
  CTDB_NATGW_DEFAULT_GATEWAY: optionalString('Gateway for the static routes on the leader.'),
  CTDB_NATGW_PRIVATE_NETWORK: optionalString('Private network masqueraded, e.g. 10.0.0.0/24.'),
  CTDB_NATGW_STATIC_ROUTES: optionalString(
    'Space separated NET[@GATEWAY] routed through the gateway (default 0.0.0.0/0).',
  ),
};

type Ctx = EventContext<typeof options>;

/** The six variables CTDB writes to its cfg files, in its order. */
const CONFIG_KEYS = [
  'CTDB_NATGW_NODES',
  'CTDB_NATGW_PUBLIC_IP',
  'CTDB_NATGW_PUBLIC_IFACE',
  'CTDB_NATGW_DEFAULT_GATEWAY',
  'CTDB_NATGW_PRIVATE_NETWORK',
  'CTDB_NATGW_STATIC_ROUTES',
] as const;

type NatgwConfig = Record<(typeof CONFIG_KEYS)[number], string>;

// ---------------------------------------------------------------------------------------------
// Node identity and the group file

// ---------------------------------------------------------------------------------------------
// Configuration

async function checkConfig(ctx: Ctx): Promise<NatgwConfig> {
  const o = ctx.options;
  const nodes = o.CTDB_NATGW_NODES ?? '';
  try {
    await readFile(nodes);
  } catch {
    throw new ScriptExit(`error: CTDB_NATGW_NODES=${nodes} unreadable`);
  }
  if (!(await isFollowerOnly({ env: ctx.env, signal: ctx.signal }, nodes))) {
    if (o.CTDB_NATGW_PUBLIC_IP === undefined)
      throw new ScriptExit('Invalid configuration: CTDB_NATGW_PUBLIC_IP not set');
    if (o.CTDB_NATGW_PUBLIC_IFACE === undefined)
      throw new ScriptExit('Invalid configuration: CTDB_NATGW_PUBLIC_IFACE not set');
  }
  if (o.CTDB_NATGW_PRIVATE_NETWORK === undefined)
    throw new ScriptExit('Invalid configuration: CTDB_NATGW_PRIVATE_NETWORK not set');
  return {
    CTDB_NATGW_NODES: nodes,
    CTDB_NATGW_PUBLIC_IP: o.CTDB_NATGW_PUBLIC_IP ?? '',
    CTDB_NATGW_PUBLIC_IFACE: o.CTDB_NATGW_PUBLIC_IFACE ?? '',
    CTDB_NATGW_DEFAULT_GATEWAY: o.CTDB_NATGW_DEFAULT_GATEWAY ?? '',
    CTDB_NATGW_PRIVATE_NETWORK: o.CTDB_NATGW_PRIVATE_NETWORK,
    // The default is a single default route.
    CTDB_NATGW_STATIC_ROUTES: o.CTDB_NATGW_STATIC_ROUTES ?? '0.0.0.0/0',
  };
}

function formatConfig(cfg: NatgwConfig): string {
  return CONFIG_KEYS.map((k) => `${k}="${cfg[k]}"\n`).join('');
}

/** Reads a cfg file written by formatConfig (CTDB's are the same shell assignments). */
function parseConfig(text: string): NatgwConfig {
  const cfg: NatgwConfig = {
    CTDB_NATGW_NODES: '',
    CTDB_NATGW_PUBLIC_IP: '',
    CTDB_NATGW_PUBLIC_IFACE: '',
    CTDB_NATGW_DEFAULT_GATEWAY: '',
    CTDB_NATGW_PRIVATE_NETWORK: '',
    CTDB_NATGW_STATIC_ROUTES: '',
  };
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)="(.*)"$/.exec(line.trim());
    if (m !== null && (CONFIG_KEYS as readonly string[]).includes(m[1]!))
      cfg[m[1] as keyof NatgwConfig] = m[2]!;
  }
  return cfg;
}

interface StaticRoute {
  readonly net: string;
  /** The per-route gateway after `@`, if given. */
  readonly gateway: string | undefined;
}

function staticRoutes(cfg: NatgwConfig): StaticRoute[] {
  return cfg.CTDB_NATGW_STATIC_ROUTES.split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => {
      const at = w.indexOf('@');
      return at < 0
        ? { net: w, gateway: undefined }
        : { net: w.slice(0, at), gateway: w.slice(at + 1) };
    });
}

/** `IP/BITS` → its parts; a bare IP is a /32. */
function splitPublicIp(text: string): { ip: string; bits: number } {
  const [ip = '', bits] = text.split('/');
  return { ip, bits: bits === undefined ? 32 : Number(bits) };
}

function netlinkText(err: unknown): string {
  if (err instanceof NetlinkError) return `RTNETLINK answers: ${strerror(err.errno)}`;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Applying and clearing

async function iptablesQuiet(ctx: Ctx, args: string[]): Promise<number> {
  return iptablesStatus('inet', args, { varDir: ctdbScriptVarDir(ctx.env), signal: ctx.signal });
}

function masqueradeRule(cfg: NatgwConfig): string[] {
  const net = cfg.CTDB_NATGW_PRIVATE_NETWORK;
  return ['POSTROUTING', '-t', 'nat', '-s', net, '!', '-d', net, '-j', 'MASQUERADE'];
}

function rejectRule(cfg: NatgwConfig): string[] {
  return [
    'INPUT',
    '-p',
    'tcp',
    '--syn',
    '-d',
    `${splitPublicIp(cfg.CTDB_NATGW_PUBLIC_IP).ip}/32`,
    '-j',
    'REJECT',
  ];
}

/** Removes everything a previous run may have set up under CFG; every failure is ignored. */
async function clear(ctx: Ctx, cfg: NatgwConfig): Promise<void> {
  if (cfg.CTDB_NATGW_PUBLIC_IP !== '' && cfg.CTDB_NATGW_PUBLIC_IFACE !== '') {
    const { ip, bits } = splitPublicIp(cfg.CTDB_NATGW_PUBLIC_IP);
    await deleteIpFromIface(cfg.CTDB_NATGW_PUBLIC_IFACE, ip, bits, {
      print: () => undefined,
    }).catch(() => undefined);
  }
  for (const r of staticRoutes(cfg)) {
    await deleteRoute({ destination: r.net, metric: 10 }).catch(() => undefined);
  }
  await iptablesQuiet(ctx, ['-D', ...masqueradeRule(cfg)]);
  if (cfg.CTDB_NATGW_PUBLIC_IP !== '') await iptablesQuiet(ctx, ['-D', ...rejectRule(cfg)]);
}

/** Clears using the configuration last applied (cfg_old) when there is one, else CFG. */
async function clearPrevious(ctx: Ctx, cfg: NatgwConfig, cfgOld: string): Promise<void> {
  const old = await readFile(cfgOld, 'utf8').catch(() => undefined);
  await clear(ctx, old === undefined ? cfg : parseConfig(old));
}

async function becomeLeader(ctx: Ctx, cfg: NatgwConfig): Promise<void> {
  await setProc('sys/net/ipv4/ip_forward', 1);
  if ((await iptablesQuiet(ctx, ['-A', ...masqueradeRule(cfg)])) !== 0)
    ctx.print('iptables: failed to add the MASQUERADE rule\n');
  // Nothing may connect to the gateway address itself.
  await iptablesQuiet(ctx, ['-D', ...rejectRule(cfg)]);
  await iptablesQuiet(ctx, ['-I', ...rejectRule(cfg)]);

  // Added as CTDB adds it, with `ip` and no broadcast address (unlike public addresses).
  const added = await runAllowingFailure(
    'ip',
    ['addr', 'add', cfg.CTDB_NATGW_PUBLIC_IP, 'dev', cfg.CTDB_NATGW_PUBLIC_IFACE],
    { signal: ctx.signal },
  );
  ctx.print(added.stdout + added.stderr);
  for (const r of staticRoutes(cfg)) {
    const gw = r.gateway ?? (cfg.CTDB_NATGW_DEFAULT_GATEWAY || undefined);
    if (gw === undefined) continue;
    try {
      await addRoute({ destination: r.net, gateway: gw, metric: 10 });
    } catch (err) {
      ctx.print(`${netlinkText(err)}\n`);
    }
  }
}

async function becomeFollower(ctx: Ctx, cfg: NatgwConfig, leaderIp: string): Promise<void> {
  for (const r of staticRoutes(cfg)) {
    try {
      await addRoute({ destination: r.net, gateway: leaderIp, metric: 10 });
    } catch (err) {
      ctx.print(`${netlinkText(err)}\n`);
    }
  }
}

/** `$CTDB_HELPER_BINDIR/ctdb_natgw leader` → PNN and private IP; -1 dies as CTDB does. */
async function leader(ctx: Ctx, cfg: NatgwConfig): Promise<{ pnn: string; ip: string }> {
  const helper = join(ctdbHelperBinDir(ctx.env), 'ctdb_natgw');
  let out = '';
  try {
    const r = await run(helper, ['leader'], {
      env: { ...process.env, ...ctx.env, CTDB_NATGW_NODES: cfg.CTDB_NATGW_NODES },
      signal: ctx.signal,
    });
    out = r.stdout;
  } catch (err) {
    const e = err as { stderr?: string };
    if (e.stderr !== undefined && e.stderr !== '') ctx.print(e.stderr);
  }
  const [pnn = '-1', ip = ''] = out
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (pnn === '-1') throw new ScriptExit('There is no NATGW leader node');
  return { pnn, ip };
}

async function update(ctx: Ctx): Promise<void> {
  const cfg = await checkConfig(ctx);
  const lead = await leader(ctx, cfg);

  const dir = await ctx.stateDir('failover');
  const cfgNew = join(dir, 'cfg_new');
  const cfgOld = join(dir, 'cfg_old');
  const leaderOld = join(dir, 'leader_old');

  const text = formatConfig(cfg);
  await writeFile(cfgNew, text);
  const previous = await readFile(cfgOld, 'utf8').catch(() => undefined);
  let changed = previous === undefined; // first run: no message
  if (previous !== undefined && previous !== text) {
    ctx.print('NAT gateway configuration has changed\n');
    changed = true;
  }
  if (!changed) {
    const old = await readFile(leaderOld, 'utf8').catch(() => '');
    if ((old.split('\n')[0] ?? '') === lead.pnn) return;
  }

  await clearPrevious(ctx, cfg, cfgOld);
  const me = await ctx.pnn();
  if (String(me) === lead.pnn) await becomeLeader(ctx, cfg);
  else await becomeFollower(ctx, cfg, lead.ip);
  await flushRouteCache();

  // Only remember what was applied once it has been.
  await writeFile(leaderOld, `${lead.pnn}\n`);
  await rename(cfgNew, cfgOld);
}

async function remove(ctx: Ctx): Promise<void> {
  const cfg = await checkConfig(ctx);
  const dir = await ctx.stateDir('failover');
  await clearPrevious(ctx, cfg, join(dir, 'cfg_old'));
  // Beyond CTDB: forget the applied leader, so that a later updatenatgw re-applies the
  // gateway even when neither the leader nor the configuration changed meanwhile.
  await rm(join(dir, 'leader_old'), { force: true });
}

/** Every hook: an empty CTDB_NATGW_NODES means NAT gateway is not configured. */
function configured(ctx: Ctx): boolean {
  return ctx.options.CTDB_NATGW_NODES !== undefined;
}

export default defineEventScript({
  description: 'NAT gateway: outgoing access for nodes without a public address.',
  options,

  async setup(_args, ctx: Ctx) {
    if (configured(ctx)) await checkConfig(ctx);
  },

  async startup(_args, ctx: Ctx) {
    if (!configured(ctx)) return;
    const cfg = await checkConfig(ctx);
    const pa = await readFile(join(ctdbBase(ctx.env), 'public_addresses'), 'utf8').catch(() => '');
    const mine = cfg.CTDB_NATGW_PUBLIC_IP;
    if (
      mine !== '' &&
      pa.split('\n').some((l) => l.startsWith(mine) && /^\s/.test(l.slice(mine.length)))
    )
      throw new ScriptExit('ERROR: CTDB_NATGW_PUBLIC_IP same as a public address');
    // Do not send ARP requests from addresses on other interfaces.
    await setProc('sys/net/ipv4/conf/all/arp_announce', 2);
  },

  async ipreallocated(_args, ctx: Ctx) {
    if (configured(ctx)) await update(ctx);
  },

  async updatenatgw(_args, ctx: Ctx) {
    if (configured(ctx)) await update(ctx);
  },

  async shutdown(_args, ctx: Ctx) {
    if (configured(ctx)) await remove(ctx);
  },

  async removenatgw(_args, ctx: Ctx) {
    if (configured(ctx)) await remove(ctx);
  },

  async monitor(_args, ctx: Ctx) {
    if (!configured(ctx)) return;
    const cfg = await checkConfig(ctx);
    if (cfg.CTDB_NATGW_PUBLIC_IFACE === '') return;
    const status = await interfaceMonitor(cfg.CTDB_NATGW_PUBLIC_IFACE);
    if (!status.up) throw new ScriptExit(status.message);
  },
});
