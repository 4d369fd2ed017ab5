// TCP connection handling for public addresses: what CTDB's shell `functions` does with
// `ss`, `ctdb_killtcp` and `ctdb tickle`, as typed functions.
//
// API summary
//   types      Endpoint {ip, port}; Connection {src: Endpoint, dst: Endpoint}
//   text       parseEndpoint('10.0.0.1:445' | '[fd00::1]:445')  → Endpoint (throws ConnectionParseError)
//              formatEndpoint(e)                                → 'IP:PORT' / '[v6]:PORT'
//              parseConnection('SRC DST') / formatConnection(c) → Connection / 'SRC DST'
//              parseConnectionList(text)                        → Connection[] (blank and # lines skipped)
//              reverseConnection(c)                             → {src: c.dst, dst: c.src}
//   listing    listConnections(ip | ips[], {port?}) → Promise<Connection[]>: established TCP
//              connections whose local address is `ip` (and local port `port`); src = the local
//              end (ip:port), dst = the peer — the column order of CTDB's
//              get_tcp_connections_for_ip. Read with a sock_diag netlink dump (no `ss` fork).
//              IPv4-mapped IPv6 sockets are reported as IPv4. listEstablished() → every one.
//   killing    killTcpConnections(iface, ip, {oneway?, signal?}) → Promise<KillReport>
//              {total, killed, remaining: Connection[], error?}: CTDB's kill_tcp_connections
//              (socket failures land in `error`, not thrown). Both ends are
//              reset unless `oneway` (only the local end); server ports 139 and 445 are always one-way.
//              Option `method` adds CTDB's `, using <method>` to the summary.
//              destroyTcpConnections(ip) → Promise<KillReport>: CTDB_KILLTCP_USE_SS_KILL=yes|try,
//              sock_diag SOCK_DESTROY as `ss -K` (method 'ss -K'); then for `try` call
//              killTcpConnections(…, {method: 'ctdb_killtcp'}) as CTDB HEAD does.
//              formatKillReport(ip, report) → the lines CTDB prints (none when a ctdb_killtcp run
//              found nothing; an ss -K run always prints): 'Killed K/T TCP connections to
//              released IP <ip>[, using <method>]', 'Remaining connections:', '  SRC DST'.
//              resetConnections(pairs, {signal?, log?}) → Promise<{attempted, reset, unanswered}>:
//              the ctdb_killtcp core; each pair is {src: client, dst: server} and resets the
//              `dst` side's socket (tickle src→dst, capture dst's answer, RST src→dst with its
//              numbers). 50 rounds of up to 300 tickles, 100 ms apart, until all are answered.
//   tickles    sendTickleAck(c) → void: one ACK seq 0/ack 0/window 1234 as `ctdb tickle SRC DST`
//              sends it: from c.dst to c.src (tickle-list entries: public address → client).
//              tickleAll(pairs) → {tickled, failed}: the same for many, carrying on past failures.
//              tickleConnections(ip) → Promise<TickleResult>: tickle_tcp_connections — every
//              established connection of `ip`, both directions; print `Tickle TCP connection A B`
//              (formatConnection) for each of `tickled`.
//              sendSegment(from, to, {seq?, ack?, rst?}) → void: one raw ACK/RST segment.
//              TickleList: per public IP {add, remove, list, replace, ips, clear} for TCP_ADD /
//              TCP_REMOVE / SET_TCP_TICKLE_LIST; entries are {src: client, dst: public ip}.
//   errors     RawNetError {errno, code ('EPERM'…), operation, object} for socket failures;
//              ConnectionParseError {text} for malformed connection strings. Both extend TcpError.
//
// Raw packets need CAP_NET_RAW and happen in the calling process's network namespace.
export type { Endpoint, Connection } from './connection.js';
export {
  parseEndpoint,
  formatEndpoint,
  parseConnection,
  formatConnection,
  parseConnectionList,
  reverseConnection,
  connectionKey,
  sameConnection,
} from './connection.js';
export { TcpError, RawNetError, ConnectionParseError } from './errors.js';
export type { ListOptions } from './list.js';
export { listConnections, listEstablished, destroyConnections } from './list.js';
export type { KillReport, KillOptions, ResetOptions, ResetResult, ResetLog } from './kill.js';
export {
  killTcpConnections,
  destroyTcpConnections,
  SS_KILL_METHOD,
  formatKillReport,
  resetConnections,
  ONE_WAY_PORTS,
  KILL_MAX_ATTEMPTS,
  KILL_RETRY_INTERVAL_MS,
  KILL_BATCH_SIZE,
} from './kill.js';
export type { TickleResult } from './tickle.js';
export { sendTickleAck, tickleAll, tickleConnections } from './tickle.js';
export type { SegmentOptions } from './segment.js';
export { sendSegment } from './segment.js';
export { canonicalIp } from './address.js';
export { TickleList } from './tickle-list.js';
