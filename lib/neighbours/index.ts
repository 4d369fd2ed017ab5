// Telling the local network that an address now lives here: a gratuitous ARP for IPv4 and an
// unsolicited neighbour advertisement for IPv6, as ctdbd does after taking an address over.
//
// API summary
//   sendGratuitousArp(iface, ip) → boolean (false: loopback, nothing sent)
//       IPv4: an ARP request and an ARP reply, both broadcast, sender = target = ip, sender MAC =
//       iface's MAC. IPv6: one neighbour advertisement (override flag, target = ip, target
//       link-layer option) to ff02::1 with hop limit 255. A loopback iface is silently skipped;
//       a non-Ethernet one is EINVAL. Throws RawNetError (from lib/tcp) with errno, operation, object.
//   announceAddress(iface, ip, {count = 3, intervalMs = 1100, signal?, onError?}) → Announcement
//       CTDB's schedule: send at once, then every ~1.1 s, `count` times in all. Announcement is
//       {stop(): void, done: Promise<number>} (done resolves with the number of sends made).
//       Errors after the first send go to onError (the first one throws synchronously).
//       Option `tickles` (tickle-list entries {src: client, dst: ip}) sends their tickle ACKs
//       with every round, as ctdbd does after takeip.
//   Sends cost ~40 µs (the packet socket is opened once and kept).
//   ANNOUNCE_COUNT, ANNOUNCE_INTERVAL_MS: the defaults above.
//
// Raw packets need CAP_NET_RAW and go out in the calling process's network namespace.
export { sendGratuitousArp } from './send.js';
export { RawNetError, TcpError } from '../tcp/errors.js';
export type { Announcement, AnnounceOptions } from './schedule.js';
export { announceAddress, ANNOUNCE_COUNT, ANNOUNCE_INTERVAL_MS } from './schedule.js';
