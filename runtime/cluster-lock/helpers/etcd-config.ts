// The ctdb_etcd_lock configuration file: `key = value` lines (default $CTDB_BASE/etcd).
// Blank lines and lines starting with `#` are skipped, and so is a ` # comment` after a value.
// Every key is in the table below; an unknown key or a bad value is an error naming the file
// and line. Keys of the old Python client that mean nothing to etcd v3 are accepted and ignored.
import { readFileSync } from 'node:fs';
import { HelperConfigError } from '../errors.js';

export interface EtcdLockConfig {
  /** Client port, used for hosts given without one. */
  port: number;
  /** A single etcd host (when `hosts` is not given). */
  host: string;
  /** Several endpoints, `host[:port]` or URLs, comma-separated in the file. */
  hosts: string[] | undefined;
  protocol: 'http' | 'https';
  /** Client certificate chain (PEM), private key (PEM) and CA bundle (PEM), for TLS. */
  cert: string | undefined;
  key: string | undefined;
  caCert: string | undefined;
  username: string | undefined;
  password: string | undefined;
  /** Seconds the lock's lease lives without a refresh. */
  lockTtl: number;
  /** Seconds between refreshes of the lease. */
  refresh: number;
  /** The lock key is `/_locks/{locksDir}/{name}`. */
  locksDir: string;
  /** The lock name; undefined = the netbios name from testparm, else `ctdb`. */
  name: string | undefined;
  /** Seconds one etcd request may take. */
  requestTimeout: number;
}

export const ETCD_DEFAULTS: EtcdLockConfig = {
  port: 2379,
  host: '127.0.0.1',
  hosts: undefined,
  protocol: 'http',
  cert: undefined,
  key: undefined,
  caCert: undefined,
  username: undefined,
  password: undefined,
  lockTtl: 9,
  refresh: 2,
  locksDir: '_ctdb',
  name: undefined,
  requestTimeout: 5,
};

type Setter = (c: EtcdLockConfig, value: string) => string | undefined; // returns an error

function int(min: number, max: number, set: (c: EtcdLockConfig, n: number) => void): Setter {
  return (c, v) => {
    if (!/^[0-9]+$/.test(v)) return `'${v}' is not a whole number`;
    const n = Number(v);
    if (n < min || n > max) return `${n} is out of range ${min}..${max}`;
    set(c, n);
    return undefined;
  };
}

function seconds(set: (c: EtcdLockConfig, n: number) => void): Setter {
  return (c, v) => {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0)
      return `'${v}' is not a positive number of seconds`;
    set(c, Number(v));
    return undefined;
  };
}

function text(set: (c: EtcdLockConfig, s: string) => void): Setter {
  return (c, v) => {
    if (v === '') return 'the value is empty';
    set(c, v);
    return undefined;
  };
}

const ignored: Setter = () => undefined;

/** Every key the file may hold: one table. */
export const ETCD_KEYS: Readonly<Record<string, { set: Setter; help: string }>> = {
  port: { set: int(1, 65535, (c, n) => (c.port = n)), help: 'etcd client port (2379)' },
  host: { set: text((c, s) => (c.host = s)), help: 'etcd host (127.0.0.1)' },
  hosts: {
    set: text(
      (c, s) =>
        (c.hosts = s
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h !== '')),
    ),
    help: 'comma-separated endpoints, host[:port] or http(s)://host:port',
  },
  protocol: {
    set: (c, v) => {
      if (v !== 'http' && v !== 'https') return `must be http or https, not '${v}'`;
      c.protocol = v;
      return undefined;
    },
    help: 'http or https (http)',
  },
  cert: { set: text((c, s) => (c.cert = s)), help: 'client certificate chain, PEM file' },
  key: { set: text((c, s) => (c.key = s)), help: 'client private key, PEM file' },
  ca_cert: { set: text((c, s) => (c.caCert = s)), help: 'CA certificates, PEM file' },
  username: { set: text((c, s) => (c.username = s)), help: 'etcd user' },
  password: { set: (c, s) => ((c.password = s), undefined), help: 'etcd password' },
  lock_ttl: { set: int(1, 3600, (c, n) => (c.lockTtl = n)), help: 'lease TTL in seconds (9)' },
  refresh: { set: seconds((c, n) => (c.refresh = n)), help: 'seconds between lease refreshes (2)' },
  lock_refresh: { set: seconds((c, n) => (c.refresh = n)), help: 'same as refresh' },
  locks_dir: {
    set: text((c, s) => (c.locksDir = s.replace(/^\/+|\/+$/g, ''))),
    help: 'lock key prefix under /_locks/ (_ctdb)',
  },
  name: { set: text((c, s) => (c.name = s)), help: 'lock name (netbios name, else ctdb)' },
  read_timeout: {
    set: seconds((c, n) => (c.requestTimeout = n)),
    help: 'seconds one etcd request may take (5)',
  },
  // python-etcd (v2) options with no meaning for the v3 client.
  version_prefix: { set: ignored, help: 'ignored (etcd v2 only)' },
  allow_redirect: { set: ignored, help: 'ignored (etcd v2 only)' },
  allow_reconnect: { set: ignored, help: 'ignored (the v3 client always reconnects)' },
  use_proxies: { set: ignored, help: 'ignored (etcd v2 only)' },
  per_host_pool_size: { set: ignored, help: 'ignored (etcd v2 only)' },
  expected_cluster_id: { set: ignored, help: 'ignored (etcd v2 only)' },
};

/** Parses the text of a config file; `file` is only used in error messages. */
export function parseEtcdConfig(textContent: string, file: string): EtcdLockConfig {
  const c: EtcdLockConfig = { ...ETCD_DEFAULTS };
  const lines = textContent.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new HelperConfigError(file, i + 1, `expected 'key = value', got '${line}'`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const entry = Object.hasOwn(ETCD_KEYS, key) ? ETCD_KEYS[key] : undefined;
    if (entry === undefined) throw new HelperConfigError(file, i + 1, `unknown key '${key}'`);
    const problem = entry.set(c, value);
    if (problem !== undefined) throw new HelperConfigError(file, i + 1, `${key}: ${problem}`);
  }
  if (c.refresh >= c.lockTtl)
    throw new HelperConfigError(
      file,
      0,
      `refresh (${c.refresh}) must be shorter than lock_ttl (${c.lockTtl})`,
    );
  if ((c.key === undefined) !== (c.cert === undefined))
    throw new HelperConfigError(file, 0, 'cert and key must be given together');
  return c;
}

/** Reads a config file. A missing default file means defaults; a missing named file is an error. */
export function loadEtcdConfig(file: string, mustExist: boolean): EtcdLockConfig {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return { ...ETCD_DEFAULTS };
    throw new HelperConfigError(file, 0, `cannot read: ${(err as Error).message}`);
  }
  return parseEtcdConfig(content, file);
}

/** The endpoints to dial, as URLs. */
export function etcdEndpoints(c: EtcdLockConfig): string[] {
  const list = c.hosts ?? [c.host];
  return list.map((h) => {
    if (/^https?:\/\//.test(h)) return h;
    const withPort = /:[0-9]+$/.test(h) && !/^\[?[0-9a-f:]+\]?$/i.test(h) ? h : hostPort(h, c.port);
    return `${c.protocol}://${withPort}`;
  });
}

function hostPort(host: string, port: number): string {
  // A bare IPv6 address needs brackets before a port is added.
  const bare = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${bare}:${port}`;
}
