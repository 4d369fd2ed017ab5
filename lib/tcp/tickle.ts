// Tickle ACKs: a bare ACK with seq 0 makes the other end answer with its own ACK; a client
// whose connection now lands on a node without that socket gets a RST back at once instead
// of retransmitting for minutes.
import type { Connection } from './connection.js';
import { reverseConnection } from './connection.js';
import { sendSegment } from './segment.js';

/**
 * Sends one tickle ACK for a connection as `ctdb tickle SRC DST` does: the segment goes from
 * `dst` to `src`. With CTDB's tickle-list convention (src = client, dst = public address)
 * that is from the public address to the client. Throws RawNetError.
 */
export function sendTickleAck(c: Connection): void {
  sendSegment(c.dst, c.src);
}

export interface TickleResult {
  /** Every pair tickled, in the order sent (both directions of each connection). */
  readonly tickled: readonly Connection[];
  /** Pairs whose send failed, with the error. */
  readonly failed: readonly { readonly connection: Connection; readonly error: unknown }[];
}

/** Tickles a list of pairs (each as sendTickleAck), carrying on past failures. */
export function tickleAll(pairs: readonly Connection[]): TickleResult {
  const failed: { connection: Connection; error: unknown }[] = [];
  for (const c of pairs) {
    try {
      sendTickleAck(c);
    } catch (error) {
      failed.push({ connection: c, error });
    }
  }
  return { tickled: pairs, failed };
}

/**
 * CTDB's tickle_tcp_connections: for every established connection of `ip` (here, after an
 * `updateip`), tickle both directions. The caller prints `Tickle TCP connection A B` for each
 * pair of `tickled` (formatConnection) as CTDB's shell function does.
 */
export async function tickleConnections(ip: string): Promise<TickleResult> {
  // Loaded here: the sock_diag dump needs the netlink package (≈ 10 MB of JavaScript), which
  // ctdbd, sending only tickles it already knows, should not carry.
  const { listConnections } = await import('./list.js');
  const conns = await listConnections(ip);
  const pairs = conns.flatMap((c) => [c, reverseConnection(c)]);
  return tickleAll(pairs);
}
