// One raw TCP segment between two endpoints, through the rawnet addon.
import { parseIp } from './address.js';
import type { Endpoint } from './connection.js';
import { TcpError } from './errors.js';
import { rawnet } from './native.js';

export interface SegmentOptions {
  readonly seq?: number;
  readonly ack?: number;
  readonly rst?: boolean;
}

function addressBytes(e: Endpoint): Buffer {
  const a = parseIp(e.ip);
  if (a === undefined) throw new TcpError(`not an IP address: ${JSON.stringify(e.ip)}`);
  return a.bytes;
}

/**
 * Sends one segment with ACK set (and RST if asked) from `from` to `to`, window 1234.
 * Defaults seq 0 / ack 0: a "tickle" that makes the receiver answer with a correct ACK (or
 * a RST if it has no such connection). Throws RawNetError.
 */
export function sendSegment(from: Endpoint, to: Endpoint, opts: SegmentOptions = {}): void {
  const src = addressBytes(from);
  const dst = addressBytes(to);
  if (src.length !== dst.length) {
    throw new TcpError(`mixed address families: ${from.ip} -> ${to.ip}`);
  }
  rawnet.sendTcp(src, from.port, dst, to.port, opts.seq ?? 0, opts.ack ?? 0, opts.rst ?? false);
}
