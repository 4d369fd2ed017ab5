// TCP endpoints and connections, and their text forms: `IP:PORT`, with IPv6 as `[addr]:port`
// (a bare `addr:port` is read too, splitting at the last colon, as CTDB does), and a
// connection as `SRC DST`.
import { formatIp, parseIp } from './address.js';
import { ConnectionParseError } from './errors.js';

export interface Endpoint {
  /** Canonical address text: dotted IPv4, or compressed IPv6 without brackets. */
  readonly ip: string;
  readonly port: number;
}

export interface Connection {
  readonly src: Endpoint;
  readonly dst: Endpoint;
}

export function parseEndpoint(text: string): Endpoint {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new ConnectionParseError(text, 'expected IP:PORT');
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ConnectionParseError(text, `bad port ${JSON.stringify(portText)}`);
  }
  const addr = parseIp(text.slice(0, colon));
  if (addr === undefined) throw new ConnectionParseError(text, 'bad IP address');
  return { ip: formatIp(addr.bytes), port: Number(portText) };
}

export function formatEndpoint(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Parses `SRC DST` (whitespace separated); both ends must be of one family. */
export function parseConnection(text: string): Connection {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 2) throw new ConnectionParseError(text, 'expected "SRC DST"');
  const [a = '', b = ''] = fields;
  const src = parseEndpoint(a);
  const dst = parseEndpoint(b);
  if (src.ip.includes(':') !== dst.ip.includes(':')) {
    throw new ConnectionParseError(text, 'source and destination are of different families');
  }
  return { src, dst };
}

export function formatConnection(c: Connection): string {
  return `${formatEndpoint(c.src)} ${formatEndpoint(c.dst)}`;
}

/** Parses one connection per line; blank lines and `#` comments are skipped. */
export function parseConnectionList(text: string): Connection[] {
  const out: Connection[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      out.push(parseConnection(line));
    } catch (err) {
      if (err instanceof ConnectionParseError) {
        throw new ConnectionParseError(raw, `line ${i + 1}: ${err.reason}`);
      }
      throw err;
    }
  });
  return out;
}

export function reverseConnection(c: Connection): Connection {
  return { src: c.dst, dst: c.src };
}

/** A string that identifies the connection (direction included), for maps and sets. */
export function connectionKey(c: Connection): string {
  return formatConnection(c);
}

export function sameConnection(a: Connection, b: Connection): boolean {
  return connectionKey(a) === connectionKey(b);
}

export function isIpv6Endpoint(e: Endpoint): boolean {
  return e.ip.includes(':');
}
