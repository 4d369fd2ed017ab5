#!/usr/bin/env ctdb-eventscript
// 11.routing: (re)installs the static routes of $CTDB_BASE/static-routes (`IFACE NET/MASK
// GATEWAY` per line) after every takeover run and when an address moves between interfaces —
// routes through an interface vanish when its last address does. As in CTDB 4.17, a route
// that cannot be added is skipped and the script always succeeds.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { ctdbBase, parseStaticRoutes, type StaticRoute } from '../../lib/ctdb/index.js';
import { addRoute } from '../../lib/net/index.js';

async function staticRoutes(ctx: EventContext): Promise<StaticRoute[] | undefined> {
  const file = join(ctdbBase(ctx.env), 'static-routes');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const { routes, errors } = parseStaticRoutes(text, file);
  for (const e of errors) ctx.print(`WARNING: ${e.message}\n`);
  return routes;
}

async function install(ctx: EventContext, routes: readonly StaticRoute[]): Promise<void> {
  for (const r of routes) {
    try {
      await addRoute({ destination: r.destination, gateway: r.gateway, iface: r.iface });
    } catch (err) {
      // Already present, or the interface has no address for the gateway yet: CTDB discards these.
      ctx.log.debug({ err, route: r }, 'static route not added');
    }
  }
}

export default defineEventScript({
  description: 'Static routes from $CTDB_BASE/static-routes.',

  async ipreallocated(_args, ctx) {
    const routes = await staticRoutes(ctx);
    if (routes !== undefined) await install(ctx, routes);
  },

  async updateip({ oldIface, newIface }, ctx) {
    const routes = await staticRoutes(ctx);
    if (routes === undefined) return;
    await install(
      ctx,
      routes.filter((r) => r.iface === oldIface || r.iface === newIface),
    );
  },
});
