// Killing TCP connections of a released address, as CTDB's ctdb_killtcp does: a tickle ACK
// makes the receiving end answer with an ACK carrying its real sequence numbers; we capture
// that answer and send a RST with exactly those numbers, which the receiver accepts.
import { formatIp } from './address.js';
import type { Connection, Endpoint } from './connection.js';
import { connectionKey, formatConnection } from './connection.js';
import { TcpError } from './errors.js';
import { destroyConnections, listConnections } from './list.js';
import { rawnet, TCP_RST, TICKLE_WINDOW, type CapturedSegment } from './native.js';
import { sendSegment } from './segment.js';

/** CTDB's ctdb_killtcp pacing: up to 50 rounds 100 ms apart, 300 tickles per round. */
export const KILL_MAX_ATTEMPTS = 50;
export const KILL_RETRY_INTERVAL_MS = 100;
export const KILL_BATCH_SIZE = 300;
/** Server ports whose clients are only ever reset on the server side (SMB reconnects). */
export const ONE_WAY_PORTS: ReadonlySet<number> = new Set([139, 445]);

export interface ResetLog {
  error(message: string): void;
  info?(message: string): void;
  debug?(message: string): void;
}

export interface ResetOptions {
  readonly signal?: AbortSignal;
  readonly log?: ResetLog;
  readonly maxAttempts?: number;
  readonly retryIntervalMs?: number;
  readonly batchSize?: number;
  /** Called instead of log.error when a tickle or RST cannot be sent; the run carries on. */
  readonly onSendError?: (kind: 'tickle' | 'rst', pair: Connection, err: unknown) => void;
}

export interface ResetResult {
  /** Pairs given (duplicates counted once). */
  readonly attempted: number;
  /** Pairs for which a RST went out. */
  readonly reset: number;
  /** Pairs never answered. */
  readonly unanswered: readonly Connection[];
  /** Rounds of tickles sent. */
  readonly rounds: number;
}

interface Pair {
  readonly client: Endpoint;
  readonly server: Endpoint;
}

/**
 * The ctdb_killtcp core. Each pair is {src: client, dst: server}; the *server* side's socket
 * is the one reset (the tickle goes client → server, the server's answer is captured, and a
 * RST goes client → server). Feed both directions to reset both ends.
 * Throws RawNetError when the capture socket cannot be opened (no CAP_NET_RAW).
 */
export async function resetConnections(
  pairs: readonly Connection[],
  opts: ResetOptions = {},
): Promise<ResetResult> {
  const pending = new Map<string, Pair>();
  for (const c of pairs) pending.set(connectionKey(c), { client: c.src, server: c.dst });
  const attempted = pending.size;
  if (attempted === 0) return { attempted: 0, reset: 0, unanswered: [], rounds: 0 };

  const maxAttempts = opts.maxAttempts ?? KILL_MAX_ATTEMPTS;
  const interval = opts.retryIntervalMs ?? KILL_RETRY_INTERVAL_MS;
  const batchSize = opts.batchSize ?? KILL_BATCH_SIZE;
  const log = opts.log;
  const aborted = (): boolean => opts.signal?.aborted === true;
  let reset = 0;
  let rounds = 0;
  const sendFailed = (kind: 'tickle' | 'rst', pair: Connection, err: unknown): void => {
    if (opts.onSendError !== undefined) opts.onSendError(kind, pair, err);
    else log?.error(`Error sending ${kind} for ${formatConnection(pair)}: ${String(err)}`);
  };

  const onSegment = (s: CapturedSegment): void => {
    // Our own tickles (seq 0) and resets carry window 1234: not answers.
    if (s.window === TICKLE_WINDOW && ((s.flags & TCP_RST) !== 0 || s.seq === 0)) return;
    // An answer travels server → client.
    const server = { ip: formatIp(s.src), port: s.sport };
    const client = { ip: formatIp(s.dst), port: s.dport };
    const key = connectionKey({ src: client, dst: server });
    if (!pending.delete(key)) return;
    log?.info?.(`Sending a TCP RST for connection ${key}`);
    try {
      sendSegment(client, server, { seq: s.ack, ack: s.seq, rst: true });
      reset++;
    } catch (err) {
      sendFailed('rst', { src: client, dst: server }, err);
    }
  };

  const fd = rawnet.captureOpen();
  try {
    for (let attempt = 0; attempt < maxAttempts && pending.size > 0; attempt++) {
      if (aborted()) break;
      rounds++;
      let n = 0;
      for (const p of pending.values()) {
        if (++n > batchSize) break;
        try {
          sendSegment(p.client, p.server);
        } catch (err) {
          sendFailed('tickle', { src: p.client, dst: p.server }, err);
        }
      }
      const until = Date.now() + interval;
      for (let left = interval; left > 0 && pending.size > 0; left = until - Date.now()) {
        if (aborted()) break;
        const segments = await rawnet.captureRead(fd, Math.min(left, interval), 256);
        segments.forEach(onSegment);
      }
    }
  } finally {
    // Not awaited: the close runs in a worker thread and nothing depends on it finishing.
    void rawnet.captureClose(fd);
  }
  const unanswered = [...pending.values()].map((p) => ({ src: p.client, dst: p.server }));
  return { attempted, reset, unanswered, rounds };
}

export interface KillOptions extends ResetOptions {
  /** Reset only the local end of each connection (CTDB's `oneway`). */
  readonly oneway?: boolean;
  /** Named in the summary (`, using <method>`): CTDB names `ctdb_killtcp` when ss -K was tried first. */
  readonly method?: string;
}

/** The method name of destroyTcpConnections, as CTDB prints it. */
export const SS_KILL_METHOD = 'ss -K';

export interface KillReport {
  /** Connections found before killing. */
  readonly total: number;
  /** total minus those still established afterwards. */
  readonly killed: number;
  /** Still established afterwards: src = local end, dst = peer. */
  readonly remaining: readonly Connection[];
  /** Set when killing could not be attempted at all (CTDB: `Failed to kill TCP connections`). */
  readonly error?: Error;
  /** How the reset went, when it ran. */
  readonly reset?: ResetResult;
  /** The method named in the summary line, if any. */
  readonly method?: string;
}

/**
 * CTDB's kill_tcp_connections IFACE IP [oneway]: reset every established connection of `ip`.
 * Both ends are reset unless `oneway`; connections to local port 139 or 445 are always
 * one-way. `iface` is accepted for compatibility (the capture watches every interface, as
 * ctdb_killtcp's does). Never throws for socket failures: they land in `error`.
 */
export async function killTcpConnections(
  iface: string,
  ip: string,
  opts: KillOptions = {},
): Promise<KillReport> {
  if (iface === '') throw new TcpError('killTcpConnections: empty interface name');
  const conns = await listConnections(ip);
  if (conns.length === 0) return { total: 0, killed: 0, remaining: [] };
  const pairs: Connection[] = [];
  for (const c of conns) {
    // c.src is the local (released) address, c.dst the peer.
    pairs.push({ src: c.dst, dst: c.src });
    if (opts.oneway !== true && !ONE_WAY_PORTS.has(c.src.port))
      pairs.push({ src: c.src, dst: c.dst });
  }
  let outcome: { reset: ResetResult } | { error: Error };
  try {
    outcome = { reset: await resetConnections(pairs, opts) };
  } catch (err) {
    outcome = { error: err instanceof Error ? err : new TcpError(String(err)) };
  }
  const remaining = await listConnections(ip);
  return {
    total: conns.length,
    killed: conns.length - remaining.length,
    remaining,
    ...outcome,
    ...(opts.method === undefined ? {} : { method: opts.method }),
  };
}

/**
 * CTDB_KILLTCP_USE_SS_KILL=yes|try (CTDB 4.18+): destroy the connections of `ip` through
 * sock_diag, as `ss -K` does (the kernel resets the peer too; both ends go). The report's
 * total is those destroyed plus those still there. Socket failures land in `error`.
 */
export async function destroyTcpConnections(ip: string): Promise<KillReport> {
  let destroyed = 0;
  let error: Error | undefined;
  try {
    destroyed = (await destroyConnections(ip)).length;
  } catch (err) {
    error = err instanceof Error ? err : new TcpError(String(err));
  }
  const remaining = await listConnections(ip);
  const report = {
    total: destroyed + remaining.length,
    killed: destroyed,
    remaining,
    method: SS_KILL_METHOD,
  };
  return error === undefined ? report : { ...report, error };
}

/**
 * The lines CTDB's kill_tcp_connections prints for a report. A ctdb_killtcp run with nothing
 * to kill prints nothing; an ss -K run always prints its summary, as CTDB's does.
 */
export function formatKillReport(ip: string, report: KillReport): string[] {
  const ssKill = report.method === SS_KILL_METHOD;
  if (report.total === 0 && !ssKill) return [];
  if (report.error !== undefined && !ssKill) return ['Failed to kill TCP connections'];
  const using = report.method === undefined ? '' : `, using ${report.method}`;
  const lines = [
    `Killed ${report.killed}/${report.total} TCP connections to released IP ${ip}${using}`,
  ];
  if (report.remaining.length > 0) {
    lines.push(
      'Remaining connections:',
      ...report.remaining.map((c) => `  ${formatConnection(c)}`),
    );
  }
  return lines;
}
