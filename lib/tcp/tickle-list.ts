// The connections a node knows for each public address, so that whichever node takes the
// address over can tickle them (ctdbd's TCP_ADD / TCP_REMOVE / SET_TCP_TICKLE_LIST and
// `ctdb gettickles`, `addtickle`, `deltickle`). Entries follow CTDB's convention:
// src = the client, dst = the public address.
import { canonicalIp } from './address.js';
import type { Connection } from './connection.js';
import { connectionKey } from './connection.js';
import { TcpError } from './errors.js';

function ipKey(ip: string): string {
  const c = canonicalIp(ip);
  if (c === undefined) throw new TcpError(`not an IP address: ${JSON.stringify(ip)}`);
  return c;
}

export class TickleList {
  // public IP → (connection key → connection), insertion-ordered as CTDB's arrays are.
  private readonly byIp = new Map<string, Map<string, Connection>>();

  /** Adds a connection under its dst address. False if it was already there. */
  add(c: Connection): boolean {
    const ip = ipKey(c.dst.ip);
    let conns = this.byIp.get(ip);
    if (conns === undefined) {
      conns = new Map();
      this.byIp.set(ip, conns);
    }
    const key = connectionKey(c);
    if (conns.has(key)) return false;
    conns.set(key, c);
    return true;
  }

  /** Removes a connection. False if it was not there. */
  remove(c: Connection): boolean {
    const ip = ipKey(c.dst.ip);
    const conns = this.byIp.get(ip);
    if (conns?.delete(connectionKey(c)) !== true) return false;
    if (conns.size === 0) this.byIp.delete(ip);
    return true;
  }

  has(c: Connection): boolean {
    return this.byIp.get(ipKey(c.dst.ip))?.has(connectionKey(c)) === true;
  }

  /** The connections of one public address, optionally only those to one port of it. */
  list(ip: string, opts: { readonly port?: number } = {}): Connection[] {
    const all = [...(this.byIp.get(ipKey(ip))?.values() ?? [])];
    return opts.port === undefined || opts.port === 0
      ? all
      : all.filter((c) => c.dst.port === opts.port);
  }

  /** Replaces the whole list of one address (SET_TCP_TICKLE_LIST). Entries for other addresses are refused. */
  replace(ip: string, conns: readonly Connection[]): void {
    const key = ipKey(ip);
    const fresh = new Map<string, Connection>();
    for (const c of conns) {
      if (ipKey(c.dst.ip) !== key) {
        throw new TcpError(`tickle for ${c.dst.ip} given in the list of ${key}`);
      }
      fresh.set(connectionKey(c), c);
    }
    if (fresh.size === 0) this.byIp.delete(key);
    else this.byIp.set(key, fresh);
  }

  /** Forgets one address's connections, or all. */
  clear(ip?: string): void {
    if (ip === undefined) this.byIp.clear();
    else this.byIp.delete(ipKey(ip));
  }

  /** Addresses that have at least one connection. */
  ips(): string[] {
    return [...this.byIp.keys()];
  }

  get size(): number {
    let n = 0;
    for (const conns of this.byIp.values()) n += conns.size;
    return n;
  }
}
