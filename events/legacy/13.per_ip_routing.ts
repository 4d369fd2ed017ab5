#!/usr/bin/env ctdb-eventscript
// 13.per_ip_routing: traffic from each public address leaves by its own routing table, so
// replies go out of the interface and gateway configured for that address rather than the
// node's default route. Each address gets a policy rule `from IP pref PREF table ctdb.IP` and a
// table filled from CTDB_PER_IP_ROUTING_CONF (`IP DEST [GATEWAY]` lines) or, with the value
// `__auto_link_local__`, one route to the address's own network. The tables follow the address
// (takeip/releaseip/updateip), are repaired after every takeover run, and are removed at
// shutdown. Options, messages and the rt_tables bookkeeping are CTDB 4.17's.
//
// Table labels `ctdb.<IP>` live in $CTDB_SYS_ETCDIR/iproute2/rt_tables as in CTDB. The rules
// and routes themselves are set through netlink by table number (looked up in that file), so
// the labels need not be in the system's own rt_tables for this to work.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdir, readFile, rename, writeFile, appendFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { optionalString } from '../../lib/options/kinds.js';
import { NetlinkError, ScriptExit, strerror, LockTimeoutError } from '../../lib/errors/index.js';
import {
  ctdb,
  ctdbBase,
  ctdbGratarp,
  ctdbSysEtcDir,
  parseMachineOutput,
} from '../../lib/ctdb/index.js';
import {
  addRoute,
  addRule,
  deleteRule,
  flushTable,
  listRoutes,
  listRules,
  flushRouteCache,
} from '../../lib/net/index.js';
import { getProcMaybe, setProc } from '../../lib/system/index.js';
import { formatConnection, tickleConnections } from '../../lib/tcp/index.js';

const options = {
  CTDB_PER_IP_ROUTING_CONF: optionalString(
    'File of `IP DEST [GATEWAY]` lines, or __auto_link_local__ for one link route per address.',
  ),
  CTDB_PER_IP_ROUTING_RULE_PREF: optionalString('Preference (priority) of the policy rules.'),
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW: optionalString('Lowest routing table id to use.'),
  CTDB_PER_IP_ROUTING_TABLE_ID_HIGH: optionalString('Highest routing table id to use.'),
};

type Ctx = EventContext<typeof options>;

const AUTO_LINK_LOCAL = '__auto_link_local__';
const TABLE_PREFIX = 'ctdb.';
const LOCK_TIMEOUT_S = 30;

interface Config {
  readonly conf: string;
  readonly pref: number;
  readonly low: number;
  readonly high: number;
  readonly rtTables: string;
  readonly lock: string;
}

/** Validates the options as CTDB does on every event; undefined when not configured. */
async function config(ctx: Ctx): Promise<Config | undefined> {
  const o = ctx.options;
  const conf = o.CTDB_PER_IP_ROUTING_CONF;
  if (conf === undefined) return undefined;
  const prefText = o.CTDB_PER_IP_ROUTING_RULE_PREF;
  if (prefText === undefined)
    throw new ScriptExit('error: CTDB_PER_IP_ROUTING_RULE_PREF not configured');
  const lowText = o.CTDB_PER_IP_ROUTING_TABLE_ID_LOW ?? '';
  const highText = o.CTDB_PER_IP_ROUTING_TABLE_ID_HIGH ?? '';
  const low = Number(lowText);
  const high = Number(highText);
  if (!/^\d+$/.test(lowText) || !/^\d+$/.test(highText) || !(low < high)) {
    throw new ScriptExit(
      `error: CTDB_PER_IP_ROUTING_TABLE_ID_LOW[${lowText}] and/or CTDB_PER_IP_ROUTING_TABLE_ID_HIGH[${highText}] improperly configured`,
    );
  }
  if (low <= 253 && high >= 255) {
    throw new ScriptExit(
      `error: range CTDB_PER_IP_ROUTING_TABLE_ID_LOW[${low}]..CTDB_PER_IP_ROUTING_TABLE_ID_HIGH[${high}] must not include 253-255`,
    );
  }
  if (conf !== AUTO_LINK_LOCAL) {
    try {
      await readFile(conf);
    } catch {
      throw new ScriptExit(`error: CTDB_PER_IP_ROUTING_CONF=${conf} file not found`);
    }
  }
  const pref = Number(prefText);
  if (!/^\d+$/.test(prefText))
    throw new ScriptExit(`error: CTDB_PER_IP_ROUTING_RULE_PREF[${prefText}] is not a number`);
  const dir = await ctx.stateDir('failover');
  return {
    conf,
    pref,
    low,
    high,
    rtTables: join(ctdbSysEtcDir(ctx.env), 'iproute2/rt_tables'),
    lock: join(dir, 'rt_tables_lock'),
  };
}

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function netlinkText(err: unknown): string {
  if (err instanceof NetlinkError) return strerror(err.errno);
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// rt_tables, edited under the same flock(1) lock CTDB's shell script takes

/**
 * Runs FN while holding an exclusive flock on LOCK. The lock is held by a `flock` process (so it
 * interlocks with CTDB's shell scripts and is released if we die); it waits at most 30 s.
 */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const holder = spawn(
    'flock',
    ['--timeout', String(LOCK_TIMEOUT_S), lock, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const lines = createInterface({ input: holder.stdout });
  const got = await new Promise<boolean>((resolve) => {
    lines.once('line', (l) => resolve(l === 'locked'));
    holder.once('exit', () => resolve(false));
    holder.once('error', () => resolve(false));
  });
  lines.close();
  try {
    if (!got) throw new LockTimeoutError(lock, LOCK_TIMEOUT_S * 1000);
    return await fn();
  } finally {
    holder.stdin.end();
  }
}

interface TableEntry {
  readonly id: number;
  readonly label: string;
}

async function readRtTables(file: string): Promise<{ text: string; entries: TableEntry[] }> {
  const text = await readFile(file, 'utf8').catch(async () => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '', { flag: 'a' });
    return '';
  });
  const entries: TableEntry[] = [];
  for (const line of text.split('\n')) {
    const [id, label] = line.trim().split(/\s+/);
    if (id === undefined || id.startsWith('#') || label === undefined || !/^\d+$/.test(id))
      continue;
    entries.push({ id: Number(id), label });
  }
  return { text, entries };
}

/** The table id labelled ctdb.IP, or undefined. */
async function tableIdFor(cfg: Config, ip: string): Promise<number | undefined> {
  const { entries } = await readRtTables(cfg.rtTables);
  return entries.find((e) => e.label === `${TABLE_PREFIX}${ip}`)?.id;
}

/** Finds or allocates the id for ctdb.IP: one above the highest in-range id in use. */
async function ensureTableId(cfg: Config, ip: string): Promise<number> {
  const label = `${TABLE_PREFIX}${ip}`;
  return withLock(cfg.lock, async () => {
    const { entries } = await readRtTables(cfg.rtTables);
    let next = cfg.low;
    for (const e of entries) {
      if (e.label === label) return e.id;
      if (next <= e.id && e.id <= cfg.high) next = e.id + 1;
    }
    if (next > cfg.high) {
      throw new ScriptExit(
        `add_routing_for_ip: out of table ids in range ${cfg.low} - ${cfg.high}`,
      );
    }
    await appendFile(cfg.rtTables, `${next}\t${label}\n`);
    return next;
  });
}

/** Drops every rt_tables line in our id range or with our label prefix; comments stay. */
async function cleanUpTableIds(cfg: Config): Promise<void> {
  await withLock(cfg.lock, async () => {
    const { text } = await readRtTables(cfg.rtTables);
    const kept = text.split('\n').filter((line, i, all) => {
      if (i === all.length - 1 && line === '') return false;
      if (line.startsWith('#')) return true;
      const [id = '', label = ''] = line.trim().split(/\s+/);
      const n = Number(id);
      const inRange = /^\d+$/.test(id) && cfg.low <= n && n <= cfg.high;
      return !inRange && !label.startsWith(TABLE_PREFIX);
    });
    const tmp = `${cfg.rtTables}.${process.pid}.ctdb`;
    await writeFile(tmp, kept.map((l) => `${l}\n`).join(''));
    await rename(tmp, cfg.rtTables);
  });
}

// ---------------------------------------------------------------------------------------------
// Routing configuration per address

interface RouteLine {
  readonly dest: string;
  readonly gateway: string | undefined;
}

function ipv4Network(ip: string, bits: number): string {
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}

async function configFor(ctx: Ctx, cfg: Config, ip: string): Promise<RouteLine[]> {
  const out: RouteLine[] = [];
  if (cfg.conf === AUTO_LINK_LOCAL) {
    const text = await readFile(join(ctdbBase(ctx.env), 'public_addresses'), 'utf8').catch(
      () => '',
    );
    for (const line of text.split('\n')) {
      const [addr = ''] = line.trim().split(/\s+/);
      const [i, bits] = addr.split('/');
      if (i === ip && bits !== undefined && /^\d+$/.test(bits))
        out.push({ dest: ipv4Network(ip, Number(bits)), gateway: undefined });
    }
    return out;
  }
  const text = await readFile(cfg.conf, 'utf8');
  for (const line of text.split('\n')) {
    const [i, dest, gateway] = line.trim().split(/\s+/);
    if (i === ip && dest !== undefined) out.push({ dest, gateway });
  }
  return out;
}

function withBits(prefix: string): string {
  return prefix.includes('/') ? prefix : `${prefix}/32`;
}

function describeRoute(r: RouteLine, iface: string, ip: string): string {
  const via = r.gateway === undefined ? '' : ` via ${r.gateway}`;
  return `${r.dest}${via} dev ${iface} table ${TABLE_PREFIX}${ip}`;
}

async function addRoutingForIp(ctx: Ctx, cfg: Config, iface: string, ip: string): Promise<void> {
  const lines = await configFor(ctx, cfg, ip);
  if (lines.length === 0) return;
  const table = await ensureTableId(cfg, ip);
  await delRoutingForIp(ctx, cfg, ip, true);
  try {
    await addRule({ from: ip, priority: cfg.pref, table });
  } catch (err) {
    throw new ScriptExit(`add_routing_for_ip: failed to add rule for ${ip}: ${netlinkText(err)}`);
  }
  for (const r of lines) {
    try {
      await addRoute({
        destination: withBits(r.dest),
        iface,
        table,
        ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
      });
    } catch (err) {
      throw new ScriptExit(
        `add_routing_for_ip: failed to add route: ${describeRoute(r, iface, ip)}: ${netlinkText(err)}`,
      );
    }
  }
}

/**
 * Removes the rule and empties the table of IP; QUIET drops the warning (re-adding). KNOWN is
 * the table a listed rule points at, used even when rt_tables has no label for it.
 */
async function delRoutingForIp(
  ctx: Ctx,
  cfg: Config,
  ip: string,
  quiet = false,
  known?: number,
): Promise<void> {
  const label = `${TABLE_PREFIX}${ip}`;
  const table = known ?? (await tableIdFor(cfg, ip));
  const cmd = `ip rule del from ${ip} pref ${cfg.pref} table ${label}`;
  let failure: string | undefined;
  if (table === undefined) {
    failure = `table ${label} is not in ${cfg.rtTables}`;
  } else {
    try {
      await deleteRule({ from: ip, priority: cfg.pref, table });
    } catch (err) {
      failure = `RTNETLINK answers: ${netlinkText(err)}`;
    }
  }
  if (failure !== undefined && !quiet) {
    ctx.print(
      `WARNING: Failed to delete policy routing rule\n  Command "${cmd}" failed:\n  ${failure}\n`,
    );
  }
  if (table !== undefined) await flushTable(table, 4).catch(() => undefined);
}

interface OurRule {
  readonly ip: string;
  readonly table: number;
}

/** Our rules: IPv4 rules with our preference and a source address. */
async function ourRules(cfg: Config): Promise<OurRule[]> {
  const rules = await listRules(4);
  return rules
    .filter((r) => r.priority === cfg.pref && r.from !== undefined)
    .map((r) => ({ ip: (r.from ?? '').replace(/\/32$/, ''), table: r.table }));
}

async function flushRulesAndRoutes(ctx: Ctx, cfg: Config): Promise<void> {
  const { entries } = await readRtTables(cfg.rtTables);
  for (const r of await ourRules(cfg)) {
    const name = entries.find((e) => e.id === r.table)?.label ?? String(r.table);
    ctx.print(`Removing ip rule for public address ${r.ip} for routing table ${name}\n`);
    await deleteRule({ from: r.ip, priority: cfg.pref, table: r.table }).catch(() => undefined);
    await flushTable(r.table, 4).catch(() => undefined);
  }
}

/** `$CTDB ip -v -X` rows hosted here: those with an ActiveInterface. */
async function hostedIps(ctx: Ctx): Promise<{ ip: string; iface: string }[]> {
  const r = await ctdb(['ip', '-v', '-X'], { env: ctx.env, signal: ctx.signal });
  return parseMachineOutput(r.stdout, 'ctdb ip -v -X')
    .map((f) => ({ ip: f[0] ?? '', iface: f[2] ?? '' }))
    .filter((row) => row.iface !== '');
}

async function addMissingRoutes(ctx: Ctx, cfg: Config, force: boolean): Promise<void> {
  for (const { ip, iface } of await hostedIps(ctx)) {
    const table = await tableIdFor(cfg, ip);
    const empty = table === undefined || (await listRoutes({ table, family: 4 })).length === 0;
    if (empty || force) await addRoutingForIp(ctx, cfg, iface, ip);
  }
}

/**
 * Removes rules (and their tables) for addresses this node does not host. Unlike CTDB, the rule
 * is deleted by the table it actually points at, so a stray rule whose table has no `ctdb.IP`
 * label here (left by another tool or an older configuration) goes too.
 */
async function removeBogusRoutes(ctx: Ctx, cfg: Config): Promise<void> {
  const hosted = new Set((await hostedIps(ctx)).map((h) => h.ip));
  for (const r of await ourRules(cfg)) {
    if (hosted.has(r.ip)) continue;
    ctx.print(`Removing ip rule/routes for unhosted public address ${r.ip}\n`);
    await delRoutingForIp(ctx, cfg, r.ip, false, r.table);
  }
}

function skipUnlessIpv4(ctx: Ctx, event: string, ip: string): boolean {
  if (isIpv4(ip)) return false;
  ctx.print(`${ctx.scriptName}: ${event} not an ipv4 address skipping IP:${ip}\n`);
  return true;
}

export default defineEventScript({
  description: 'Policy routing: a routing table per public address.',
  options,

  async startup(_args, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined) return;
    await flushRulesAndRoutes(ctx, cfg);
    // Answer ARP only on the interface that holds the address.
    if ((await getProcMaybe('sys/net/ipv4/conf/all/arp_filter')) !== undefined)
      await setProc('sys/net/ipv4/conf/all/arp_filter', 1);
  },

  async shutdown(_args, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined) return;
    await flushRulesAndRoutes(ctx, cfg);
    await cleanUpTableIds(cfg);
  },

  async takeip({ iface, ip }, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined || skipUnlessIpv4(ctx, 'takeip', ip)) return;
    await addRoutingForIp(ctx, cfg, iface, ip);
    await flushRouteCache();
    await ctdbGratarp(ip, iface, { env: ctx.env, signal: ctx.signal });
  },

  async updateip({ newIface, ip }, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined || skipUnlessIpv4(ctx, 'updateip', ip)) return;
    await addRoutingForIp(ctx, cfg, newIface, ip);
    await flushRouteCache();
    await ctdbGratarp(ip, newIface, { env: ctx.env, signal: ctx.signal });
    const t = await tickleConnections(ip);
    for (const c of t.tickled) ctx.print(`Tickle TCP connection ${formatConnection(c)}\n`);
  },

  async releaseip({ ip }, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined || skipUnlessIpv4(ctx, 'releaseip', ip)) return;
    await delRoutingForIp(ctx, cfg, ip);
  },

  async ipreallocated(_args, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined) return;
    await addMissingRoutes(ctx, cfg, false);
    await removeBogusRoutes(ctx, cfg);
  },

  async reconfigure(_args, ctx: Ctx) {
    const cfg = await config(ctx);
    if (cfg === undefined) return;
    ctx.print('Reconfiguring service "per_ip_routing"...\n');
    await addMissingRoutes(ctx, cfg, true);
    await removeBogusRoutes(ctx, cfg);
    await flushRouteCache();
  },
});
