#!/usr/bin/env ctdb-eventscript
// 10.interface: hosts CTDB's public addresses on this node's interfaces (takeip, releaseip,
// updateip), checks that the public interfaces have link (monitor), and cleans up addresses
// left from an earlier run (init, shutdown). Behaviour, options and messages follow CTDB
// 4.17's shell script of the same name; the work is done in-process through netlink, raw
// sockets and /proc instead of `ip`, `ss`, `ethtool` and `ctdb_killtcp`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { yesNo, optionalString } from '../../lib/options/kinds.js';
import { ScriptExit } from '../../lib/errors/index.js';
import {
  ctdbBase,
  ctdbGratarp,
  ctdbIfaces,
  ctdbScriptVarDir,
  ctdbSetIfaceLink,
  readPublicAddresses,
  type PublicAddress,
} from '../../lib/ctdb/index.js';
import {
  addIpToIface,
  deleteIpFromIface,
  dropIp,
  flushRouteCache,
  interfaceMonitor,
  ipMaskbitsIface,
} from '../../lib/net/index.js';
import { blockIp, unblockIp, unblockIpIfMarked } from '../../lib/firewall/index.js';
import { getProcMaybe, setProc } from '../../lib/system/index.js';
import { run } from '../../lib/shell/index.js';
import {
  formatConnection,
  formatKillReport,
  killTcpConnections,
  listConnections,
  tickleConnections,
} from '../../lib/tcp/index.js';
import { sendGratuitousArp } from '../../lib/neighbours/index.js';

const options = {
  CTDB_PARTIALLY_ONLINE_INTERFACES: yesNo(
    false,
    'Keep the node healthy while at least one public interface has link (default: any down interface fails monitor).',
  ),
  CTDB_KILLTCP_USE_SS_KILL: {
    default: 'no' as 'yes' | 'try' | 'no',
    doc: 'Kill connections of a released address with `ss -K`: yes (only that), try (then the usual way too), no.',
    parse: (text: string): 'yes' | 'try' | 'no' => {
      if (text === 'yes' || text === 'try' || text === 'no' || text === '')
        return text === '' ? 'no' : text;
      throw new Error(`expected yes, try or no, got '${text}'`);
    },
  },
  CTDB_TAKEIP_GRATUITOUS_ARP: yesNo(
    false,
    'Announce a taken address (gratuitous ARP / unsolicited NA) from takeip itself. ctdbd announces after takeip anyway, so this is for running the script without it.',
  ),
  CTDB_KILLTCP_DEBUGLEVEL: optionalString(
    'Debug level for killing connections (default: CTDB_DEBUGLEVEL).',
  ),
};

type Ctx = EventContext<typeof options>;

function printer(ctx: Ctx): (line: string) => void {
  return (line) => ctx.print(`${line}\n`);
}

function publicAddressesFile(ctx: Ctx): string {
  return join(ctdbBase(ctx.env), 'public_addresses');
}

/** The file's entries, or undefined when there is no file (then the script does nothing). */
async function publicAddresses(ctx: Ctx): Promise<PublicAddress[] | undefined> {
  return readPublicAddresses(publicAddressesFile(ctx));
}

function fw(ctx: Ctx) {
  return { varDir: ctdbScriptVarDir(ctx.env), signal: ctx.signal };
}

/** The public interfaces: those in public_addresses plus those ctdbd reports, sorted, unique. */
async function publicInterfaces(ctx: Ctx, addrs: readonly PublicAddress[]): Promise<string[]> {
  const names = new Set(addrs.flatMap((a) => a.ifaces));
  try {
    for (const row of await ctdbIfaces({ env: ctx.env, signal: ctx.signal })) names.add(row.name);
  } catch (err) {
    ctx.log.debug({ err }, 'ctdb -X ifaces failed; using public_addresses only');
  }
  return [...names].filter((n) => n !== '').sort();
}

/**
 * Checks every public interface (no early exit: ctdbd is told each one's state), then decides:
 * all up → ok; all down → fail; some down → fail unless partially-online is allowed.
 */
async function monitorInterfaces(ctx: Ctx, addrs: readonly PublicAddress[]): Promise<boolean> {
  const say = printer(ctx);
  let up = false;
  let down = false;
  const updates: Promise<void>[] = [];
  for (const iface of await publicInterfaces(ctx, addrs)) {
    const status = await interfaceMonitor(iface);
    if (status.up) up = true;
    else {
      down = true;
      say(status.message);
    }
    updates.push(ctdbSetIfaceLink(iface, status.up, { env: ctx.env, signal: ctx.signal }));
  }
  await Promise.all(updates.map((p) => p.catch(() => undefined)));
  if (!down) return true;
  if (!up) return false;
  return ctx.options.CTDB_PARTIALLY_ONLINE_INTERFACES;
}

async function dropAllPublicIps(ctx: Ctx, addrs: readonly PublicAddress[]): Promise<void> {
  for (const a of addrs) await dropIp(a.ip, printer(ctx));
}

/** Where the address really is; CTDB 4.17 dies when it is nowhere. Warns on disagreements. */
async function locate(
  ctx: Ctx,
  iface: string,
  ip: string,
  maskbits: number,
): Promise<{ iface: string; bits: number; ifindex: number }> {
  const found = await ipMaskbitsIface(ip);
  if (found === undefined)
    throw new ScriptExit(`ERROR: Unable to determine interface for IP ${ip}`);
  const say = printer(ctx);
  if (found.iface !== iface)
    say(`WARNING: Public IP ${ip} hosted on interface ${found.iface} but VNN says ${iface}`);
  if (found.bits !== maskbits)
    say(`WARNING: Public IP ${ip} has ${found.bits} bit netmask but VNN says ${maskbits}`);
  return found;
}

const DEBUG_LEVELS = ['ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/**
 * Where the connection killer's messages go, as ctdb_killtcp's do: errors into the script's
 * output; progress to the log when CTDB_KILLTCP_DEBUGLEVEL (else CTDB_DEBUGLEVEL) asks for it.
 */
function killLog(ctx: Ctx): {
  error(m: string): void;
  info?(m: string): void;
  debug?(m: string): void;
} {
  const name = (
    ctx.options.CTDB_KILLTCP_DEBUGLEVEL ??
    ctx.env.CTDB_DEBUGLEVEL ??
    'NOTICE'
  ).toUpperCase();
  const level = DEBUG_LEVELS.indexOf(name) < 0 ? 2 : DEBUG_LEVELS.indexOf(name);
  return {
    error: (m) => ctx.print(`${m}\n`),
    ...(level >= 3 ? { info: (m: string) => ctx.log.info(m) } : {}),
    ...(level >= 4 ? { debug: (m: string) => ctx.log.debug(m) } : {}),
  };
}

/** Resets the TCP connections of a released address, by the method the options choose. */
async function killConnections(ctx: Ctx, iface: string, ip: string): Promise<void> {
  const say = printer(ctx);
  const method = ctx.options.CTDB_KILLTCP_USE_SS_KILL;
  if (method !== 'no') {
    const before = await listConnections(ip);
    try {
      await run('ss', ['-K', '-tnH', 'state', 'established', 'src', ip], { signal: ctx.signal });
    } catch (err) {
      ctx.log.debug({ err }, 'ss -K failed');
    }
    const remaining = await listConnections(ip);
    if (method === 'yes' || remaining.length === 0) {
      const report = {
        total: before.length,
        killed: before.length - remaining.length,
        remaining,
      };
      for (const line of formatKillReport(ip, report))
        say(line.startsWith('Killed') ? `${line}, using "ss -K"` : line);
      return;
    }
  }
  try {
    const report = await killTcpConnections(iface, ip, {
      signal: ctx.signal,
      log: killLog(ctx),
    });
    for (const line of formatKillReport(ip, report)) say(line);
  } catch (err) {
    ctx.log.warn({ err }, 'killing TCP connections failed');
    say('Failed to kill TCP connections');
  }
}

export default defineEventScript({
  description: 'Public IP addresses: add, remove and move them; monitor public interfaces.',
  options,

  async init(_args, ctx) {
    const addrs = await publicAddresses(ctx);
    if (addrs === undefined) {
      ctx.print('No public addresses file found\n');
      return;
    }
    // Answer ARP only from the interface that holds the address.
    if ((await getProcMaybe('sys/net/ipv4/conf/all/arp_filter')) !== undefined)
      await setProc('sys/net/ipv4/conf/all/arp_filter', 1);
    if ((await getProcMaybe('sys/net/ipv4/conf/all/promote_secondaries')) === undefined)
      throw new ScriptExit('Public IPs only supported if promote_secondaries is available');
    // Addresses may still be here if the previous ctdbd was killed with -9.
    await dropAllPublicIps(ctx, addrs);
  },

  async startup(_args, ctx) {
    const addrs = await publicAddresses(ctx);
    if (addrs === undefined) return;
    // As in CTDB, startup reports interface state to ctdbd but never fails on it.
    await monitorInterfaces(ctx, addrs);
  },

  async shutdown(_args, ctx) {
    const addrs = await publicAddresses(ctx);
    if (addrs === undefined) return;
    await dropAllPublicIps(ctx, addrs);
  },

  async monitor(_args, ctx) {
    const addrs = await publicAddresses(ctx);
    if (addrs === undefined) return;
    return monitorInterfaces(ctx, addrs);
  },

  async takeip({ iface, ip, maskbits }, ctx) {
    if (!hasPublicAddresses(ctx)) return;
    const say = printer(ctx);
    if (!(await addIpToIface(iface, ip, maskbits, { print: say, signal: ctx.signal }))) return 1;
    // A block left by a releaseip that was killed half-way must not outlive the address.
    await unblockIpIfMarked(ip, iface, fw(ctx));
    await flushRouteCache();
    // As in CTDB the daemon announces the address once takeip succeeds; the script does so
    // itself only when asked (no daemon, or one that does not announce).
    if (ctx.options.CTDB_TAKEIP_GRATUITOUS_ARP) {
      try {
        sendGratuitousArp(iface, ip);
      } catch (err) {
        say(`WARNING: could not announce ${ip} on ${iface}: ${(err as Error).message}`);
      }
    }
  },

  async releaseip({ iface, ip, maskbits }, ctx) {
    if (!hasPublicAddresses(ctx)) return;
    const say = printer(ctx);
    const found = await locate(ctx, iface, ip, maskbits);
    // Block new packets while existing connections are reset and the address goes. With no
    // connection to reset the address goes at once, so there is nothing to shield; a block
    // left by an earlier killed run is still removed below.
    const busy = (await listConnections(ip)).length > 0;
    if (busy) {
      await blockIp(ip, found.iface, fw(ctx));
      await killConnections(ctx, found.iface, ip);
    }
    const ok = await deleteIpFromIface(found.iface, ip, found.bits, {
      print: say,
      ifindex: found.ifindex,
    });
    if (busy) await unblockIp(ip, found.iface, fw(ctx));
    else await unblockIpIfMarked(ip, found.iface, fw(ctx));
    if (!ok) return 1;
    await flushRouteCache();
  },

  async updateip({ oldIface, newIface, ip, maskbits }, ctx) {
    if (!hasPublicAddresses(ctx)) return;
    const say = printer(ctx);
    const found = await locate(ctx, oldIface, ip, maskbits);
    if (found.iface === newIface) {
      say(`Redundant "updateip" - ${ip} already on ${newIface}`);
      return;
    }
    await blockIp(ip, found.iface, fw(ctx));
    await deleteIpFromIface(found.iface, ip, found.bits, {
      print: () => undefined,
      ifindex: found.ifindex,
    });
    await deleteIpFromIface(newIface, ip, found.bits, { print: () => undefined });
    if (!(await addIpToIface(newIface, ip, found.bits, { print: say, signal: ctx.signal }))) {
      await unblockIp(ip, found.iface, fw(ctx));
      return 1;
    }
    await unblockIp(ip, found.iface, fw(ctx));
    await flushRouteCache();
    // Propagate the new MAC address, then make clients retransmit so their streams carry on.
    await ctdbGratarp(ip, newIface, { env: ctx.env, signal: ctx.signal });
    const tickled = await tickleConnections(ip);
    for (const c of tickled.tickled) say(`Tickle TCP connection ${formatConnection(c)}`);
  },
});

/** takeip, releaseip and updateip only need to know the file exists. */
function hasPublicAddresses(ctx: Ctx): boolean {
  return existsSync(publicAddressesFile(ctx));
}
