// ctdb.conf as CTDB 4.17 reads it: the sections and keys below and nothing else. An unknown
// section or key, an empty value or a bad value stops start-up with a ConfigError naming the
// file, line and key. Section names match case-insensitively, keys exactly (as in CTDB).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError, ConfigErrors } from './errors.js';
import { IniSyntaxError, parseIni, type IniEntry } from './ini.js';

export const LOG_LEVELS = ['ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface CtdbConfig {
  logging: { location: string; logLevel: LogLevelName };
  cluster: {
    transport: 'tcp';
    nodeAddress: string | undefined;
    clusterLock: string | undefined;
    leaderCapability: boolean;
    leaderTimeout: number;
  };
  database: {
    volatileDir: string | undefined;
    persistentDir: string | undefined;
    stateDir: string | undefined;
    tdbMutexes: boolean;
    lockDebugScript: string | undefined;
  };
  event: { debugScript: string | undefined };
  failover: { disabled: boolean };
  legacy: {
    startAsStopped: boolean;
    startAsDisabled: boolean;
    realtimeScheduling: boolean;
    lmasterCapability: boolean;
    scriptLogLevel: LogLevelName;
  };
}

export function defaultConfig(): CtdbConfig {
  return {
    logging: { location: 'syslog', logLevel: 'NOTICE' },
    cluster: {
      transport: 'tcp',
      nodeAddress: undefined,
      clusterLock: undefined,
      leaderCapability: true,
      leaderTimeout: 5,
    },
    database: {
      volatileDir: undefined,
      persistentDir: undefined,
      stateDir: undefined,
      tdbMutexes: true,
      lockDebugScript: undefined,
    },
    event: { debugScript: undefined },
    failover: { disabled: false },
    legacy: {
      startAsStopped: false,
      startAsDisabled: false,
      realtimeScheduling: true,
      lmasterCapability: true,
      scriptLogLevel: 'ERROR',
    },
  };
}

/** Parses a value or returns a problem description. */
type Apply = (config: CtdbConfig, value: string) => string | undefined;

function bool(set: (c: CtdbConfig, v: boolean) => void): Apply {
  return (c, v) => {
    const l = v.toLowerCase();
    if (l === 'true' || l === 'yes') set(c, true);
    else if (l === 'false' || l === 'no') set(c, false);
    else return `invalid boolean "${v}" (use true/false or yes/no)`;
    return undefined;
  };
}

function str(set: (c: CtdbConfig, v: string) => void): Apply {
  return (c, v) => {
    set(c, v);
    return undefined;
  };
}

function logLevel(set: (c: CtdbConfig, v: LogLevelName) => void): Apply {
  return (c, v) => {
    const u = v.toUpperCase();
    const found = LOG_LEVELS.find((l) => l === u);
    if (found === undefined) return `invalid log level "${v}" (${LOG_LEVELS.join(', ')})`;
    set(c, found);
    return undefined;
  };
}

function absolutePath(set: (c: CtdbConfig, v: string) => void): Apply {
  return (c, v) => {
    if (!v.startsWith('/')) return `"${v}" is not an absolute path`;
    set(c, v);
    return undefined;
  };
}

/** Every section and key of CTDB 4.17's ctdb.conf. */
export const CONF_SCHEMA: Readonly<Record<string, Readonly<Record<string, Apply>>>> = {
  logging: {
    location: (c, v) => {
      if (/^file:/.test(v)) {
        if (v.length > 5 && !v.slice(5).startsWith('/'))
          return `log file "${v.slice(5)}" must be an absolute path`;
      } else if (!/^syslog(:(nonblocking|udp|udp-rfc5424))?$/.test(v)) {
        return `invalid location "${v}" (file:PATH or syslog[:nonblocking|udp|udp-rfc5424])`;
      }
      c.logging.location = v;
      return undefined;
    },
    'log level': logLevel((c, v) => (c.logging.logLevel = v)),
  },
  cluster: {
    transport: (c, v) => (v === 'tcp' ? undefined : `invalid transport "${v}" (only tcp)`),
    'node address': (c, v) => {
      if (isIP(v) === 0) return `invalid IP address "${v}"`;
      c.cluster.nodeAddress = v;
      return undefined;
    },
    'cluster lock': str((c, v) => (c.cluster.clusterLock = v)),
    'recovery lock': str((c, v) => (c.cluster.clusterLock = v)),
    'leader capability': bool((c, v) => (c.cluster.leaderCapability = v)),
    'leader timeout': (c, v) => {
      if (!/^[0-9]+$/.test(v) || Number(v) <= 0)
        return `invalid leader timeout "${v}" (a whole number of seconds > 0)`;
      c.cluster.leaderTimeout = Number(v);
      return undefined;
    },
  },
  database: {
    'volatile database directory': absolutePath((c, v) => (c.database.volatileDir = v)),
    'persistent database directory': absolutePath((c, v) => (c.database.persistentDir = v)),
    'state database directory': absolutePath((c, v) => (c.database.stateDir = v)),
    'tdb mutexes': bool((c, v) => (c.database.tdbMutexes = v)),
    'lock debug script': str((c, v) => (c.database.lockDebugScript = v)),
  },
  event: {
    'debug script': str((c, v) => (c.event.debugScript = v)),
  },
  failover: {
    disabled: bool((c, v) => (c.failover.disabled = v)),
  },
  legacy: {
    'ctdb start as stopped': bool((c, v) => (c.legacy.startAsStopped = v)),
    'start as disabled': bool((c, v) => (c.legacy.startAsDisabled = v)),
    'realtime scheduling': bool((c, v) => (c.legacy.realtimeScheduling = v)),
    'lmaster capability': bool((c, v) => (c.legacy.lmasterCapability = v)),
    'script log level': logLevel((c, v) => (c.legacy.scriptLogLevel = v)),
  },
};

function sectionSchema(name: string): [string, Readonly<Record<string, Apply>>] | undefined {
  const lower = name.toLowerCase();
  const s = CONF_SCHEMA[lower];
  return s === undefined ? undefined : [lower, s];
}

/** Parses ctdb.conf text; throws ConfigErrors listing every problem found. */
export function parseCtdbConf(text: string, file: string): CtdbConfig {
  const config = defaultConfig();
  let doc;
  try {
    doc = parseIni(text);
  } catch (err) {
    if (err instanceof IniSyntaxError)
      throw new ConfigErrors([new ConfigError(file, err.line, undefined, err.problem)]);
    throw err;
  }
  const errors: ConfigError[] = [];
  for (const s of doc.sections) {
    if (sectionSchema(s.name) === undefined)
      errors.push(new ConfigError(file, s.line, `[${s.name}]`, 'unknown section'));
  }
  const apply = (e: IniEntry): void => {
    const schema = sectionSchema(e.section);
    if (schema === undefined) return; // already reported as an unknown section
    const [sectionName, keys] = schema;
    const fn = keys[e.key];
    const where = `[${sectionName}] ${e.key}`;
    if (fn === undefined) {
      errors.push(new ConfigError(file, e.line, where, 'unknown option'));
      return;
    }
    if (e.value === '') {
      errors.push(new ConfigError(file, e.line, where, 'empty value'));
      return;
    }
    const problem = fn(config, e.value);
    if (problem !== undefined) errors.push(new ConfigError(file, e.line, where, problem));
  };
  for (const e of doc.entries) apply(e);
  if (errors.length > 0) throw new ConfigErrors(errors);
  return config;
}

/** Loads ctdb.conf; a missing file means all defaults, as in CTDB. */
export function loadCtdbConf(file: string): CtdbConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig();
    throw new ConfigErrors([new ConfigError(file, undefined, undefined, (err as Error).message)]);
  }
  return parseCtdbConf(text, file);
}
