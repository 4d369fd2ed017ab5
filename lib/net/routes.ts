// Routes through rtnetlink, in any numbered table: add, delete, list, and flush a table
// (netlink has no flush request, so a flush is a dump followed by deletes).
import { FlagsNew, rt } from 'netlink';
import { NetlinkError, toNetlinkError } from '../errors/index.js';
import { afOf, AF_INET, bufferToIp, ipToBuffer, parsePrefix, type Family } from './ip.js';
import { getLink, listLinks } from './links.js';
import { nl } from './rtnl.js';

export const MAIN_TABLE = 254;

/** RTPROT_BOOT: what `ip route add` marks routes with. */
const PROTO_BOOT = rt.RouteProtocol.BOOT;
const SCOPE_UNIVERSE = rt.RouteScope.UNIVERSE;
const SCOPE_LINK = rt.RouteScope.LINK;
const TYPE_UNICAST = rt.RouteType.UNICAST;

export interface RouteSpec {
  /** `NET/BITS`, or `default`. */
  readonly destination: string;
  readonly gateway?: string;
  readonly iface?: string;
  /** Table number (default main, 254). */
  readonly table?: number;
  readonly metric?: number;
  /** Preferred source address. */
  readonly source?: string;
}

export interface RouteInfo {
  /** `NET/BITS` (`0.0.0.0/0` or `::/0` for a default route). */
  readonly destination: string;
  readonly family: Family;
  readonly gateway: string | undefined;
  readonly iface: string | undefined;
  readonly table: number;
  readonly metric: number | undefined;
  /** RTN_* route type (the package gives a name when it knows one). */
  readonly type: rt.RouteType | keyof typeof rt.RouteType;
  /** RTPROT_* origin: kernel, boot (`ip route add`), static, … */
  readonly protocol: rt.RouteProtocol | keyof typeof rt.RouteProtocol | undefined;
}

function parseDestination(spec: RouteSpec): { ip: string; bits: number; family: Family } {
  if (spec.destination !== 'default') return parsePrefix(spec.destination);
  const v6 = spec.gateway?.includes(':') === true;
  return { ip: v6 ? '::' : '0.0.0.0', bits: 0, family: v6 ? 6 : 4 };
}

function describe(spec: RouteSpec): string {
  return [
    spec.destination,
    spec.gateway === undefined ? '' : `via ${spec.gateway}`,
    spec.iface === undefined ? '' : `dev ${spec.iface}`,
    spec.table === undefined ? '' : `table ${spec.table}`,
    spec.metric === undefined ? '' : `metric ${spec.metric}`,
  ]
    .filter((s) => s !== '')
    .join(' ');
}

async function encode(spec: RouteSpec) {
  const dst = parseDestination(spec);
  const table = spec.table ?? MAIN_TABLE;
  const oif = spec.iface === undefined ? undefined : (await getLink(spec.iface)).index;
  const data = {
    family: afOf(dst.family),
    dstLen: dst.bits,
    table: table < 256 ? table : 252, // RT_TABLE_COMPAT; the attribute carries the real number
    protocol: PROTO_BOOT,
    scope: spec.gateway === undefined && oif !== undefined ? SCOPE_LINK : SCOPE_UNIVERSE,
    type: TYPE_UNICAST,
  };
  const attrs = {
    table,
    ...(dst.bits > 0 ? { dst: ipToBuffer(dst.ip) } : {}),
    ...(spec.gateway === undefined ? {} : { gateway: ipToBuffer(spec.gateway) }),
    ...(oif === undefined ? {} : { oif }),
    ...(spec.metric === undefined ? {} : { priority: spec.metric }),
    ...(spec.source === undefined ? {} : { prefsrc: ipToBuffer(spec.source) }),
  };
  return { data, attrs };
}

/** `ip route add …`; rejects with NetlinkError (EEXIST if present, ENETUNREACH for a bad gateway). */
export async function addRoute(spec: RouteSpec): Promise<void> {
  const { data, attrs } = await encode(spec);
  try {
    await nl((s) => s.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
  } catch (err) {
    throw toNetlinkError(err, 'add route', describe(spec));
  }
}

/** `ip route replace …`. */
export async function replaceRoute(spec: RouteSpec): Promise<void> {
  const { data, attrs } = await encode(spec);
  try {
    await nl((s) => s.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.REPLACE }));
  } catch (err) {
    throw toNetlinkError(err, 'replace route', describe(spec));
  }
}

/** `ip route del …`; rejects with NetlinkError (ESRCH when absent). */
export async function deleteRoute(spec: RouteSpec): Promise<void> {
  const { data, attrs } = await encode(spec);
  try {
    await nl((s) =>
      s.delRoute({ ...data, scope: rt.RouteScope.NOWHERE /* matches any scope */ }, attrs),
    );
  } catch (err) {
    throw toNetlinkError(err, 'delete route', describe(spec));
  }
}

/** Routes of one family (default both) in one table (default all tables). */
export async function listRoutes(
  opts: { table?: number; family?: Family } = {},
): Promise<RouteInfo[]> {
  let messages;
  let links;
  try {
    [messages, links] = await Promise.all([
      nl((s) => s.getRoutes(opts.family === undefined ? {} : { family: afOf(opts.family) })),
      listLinks(),
    ]);
  } catch (err) {
    throw toNetlinkError(err, 'list routes', `table ${opts.table ?? 'all'}`);
  }
  const names = new Map(links.map((l) => [l.index, l.name]));
  const out: RouteInfo[] = [];
  for (const m of messages) {
    const family: Family = m.data.family === AF_INET ? 4 : 6;
    if (opts.family !== undefined && family !== opts.family) continue;
    const table = m.attrs.table ?? m.data.table ?? 0;
    if (opts.table !== undefined && table !== opts.table) continue;
    const zero = family === 4 ? '0.0.0.0' : '::';
    out.push({
      destination: `${m.attrs.dst === undefined ? zero : bufferToIp(m.attrs.dst)}/${m.data.dstLen ?? 0}`,
      family,
      gateway: m.attrs.gateway === undefined ? undefined : bufferToIp(m.attrs.gateway),
      iface: m.attrs.oif === undefined ? undefined : names.get(m.attrs.oif),
      table,
      metric: m.attrs.priority,
      type: m.data.type ?? TYPE_UNICAST,
      protocol: m.data.protocol,
    });
  }
  return out;
}

/** `ip route flush table N`: deletes every route in TABLE; returns how many went. */
export async function flushTable(table: number, family?: Family): Promise<number> {
  const routes = await listRoutes({ table, ...(family === undefined ? {} : { family }) });
  let n = 0;
  for (const r of routes) {
    try {
      await deleteRoute({
        destination: r.destination,
        table,
        ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
        ...(r.iface === undefined ? {} : { iface: r.iface }),
        ...(r.metric === undefined ? {} : { metric: r.metric }),
      });
      n++;
    } catch (err) {
      // Another process may have removed it meanwhile; that is what we wanted.
      if (!(err instanceof NetlinkError && err.errno === 'ESRCH')) throw err;
    }
  }
  return n;
}
