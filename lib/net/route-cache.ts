// CTDB's flush_route_cache: poke the IPv4 and IPv6 route-cache flush files where writable.
import { setProcMaybe } from '../system/proc.js';

export async function flushRouteCache(): Promise<void> {
  await setProcMaybe('sys/net/ipv4/route/flush', 1);
  await setProcMaybe('sys/net/ipv6/route/flush', 1);
}
