#!/usr/bin/env ctdb-eventscript
// SNMP notification hook: sends a trap (or, with CTDB_NOTIFY_SNMP_INFORM=yes, an acknowledged
// inform) to each receiver when ctdbd raises a notification. SNMPv2c with a community, or
// SNMPv3 with a user at noAuthNoPriv, authNoPriv or authPriv.
//
// OIDs. The arc is 1.3.6.1.4.1.32473.7 — enterprise 32473 is the number IANA reserves for
// examples and documentation (RFC 5612); sites with their own enterprise number can set
// CTDB_NOTIFY_SNMP_ENTERPRISE_OID to move the whole tree.
//
//   <arc>.0            notifications, one per event (snmpTrapOID.0 carries it):
//     <arc>.0.1  init      <arc>.0.2  setup      <arc>.0.3  startup
//     <arc>.0.4  unhealthy <arc>.0.5  healthy
//   <arc>.1            objects sent as varbinds, after sysUpTime.0 and snmpTrapOID.0:
//     <arc>.1.1.0  event          OCTET STRING   e.g. "unhealthy"
//     <arc>.1.2.0  nodeAddress    OCTET STRING   this node's private address ("" if unknown)
//     <arc>.1.3.0  pnn            INTEGER        this node's PNN (-1 if ctdbd is unreachable)
//     <arc>.1.4.0  clusterState   OCTET STRING   "PNN:STATE …", e.g. "0:OK 1:UNHEALTHY"
//     <arc>.1.5.0  time           OCTET STRING   ISO 8601 UTC time of the event
//     <arc>.1.6.0  hostname       OCTET STRING   this host's name
//
// With SNMPv3 traps the sender is the authoritative engine: receivers must know its engine
// ID (snmptrapd: `createUser -e <engine id> <user> SHA <auth> AES <priv>`). It is
// CTDB_NOTIFY_SNMP_ENGINE_ID, or by default derived from the host name (logged at debug).
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import snmp from 'net-snmp';
import {
  defineNotificationHook,
  type NotificationEvent,
} from '../../lib/eventscript/notification.js';
import { clusterFacts, type ClusterFacts } from './support/cluster-facts.js';
import { integer, string as text, yesNo } from '../../lib/options/index.js';
import { list, oneOf } from './support/option-kinds.js';

export const DEFAULT_ENTERPRISE_OID = '1.3.6.1.4.1.32473.7';

const EVENT_NUMBER: Readonly<Record<NotificationEvent, number>> = {
  init: 1,
  setup: 2,
  startup: 3,
  unhealthy: 4,
  healthy: 5,
};

const AUTH = {
  md5: snmp.AuthProtocols.md5,
  sha: snmp.AuthProtocols.sha,
  sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256,
  sha384: snmp.AuthProtocols.sha384,
  sha512: snmp.AuthProtocols.sha512,
} as const;

const PRIV = {
  des: snmp.PrivProtocols.des,
  aes: snmp.PrivProtocols.aes,
  aes256b: snmp.PrivProtocols.aes256b,
  aes256r: snmp.PrivProtocols.aes256r,
} as const;

function checkOid(t: string): void {
  if (!/^\d+(\.\d+)+$/.test(t)) throw new Error(`"${t}" is not a numeric OID`);
}

interface Receiver {
  readonly host: string;
  readonly port: number | undefined;
}

/** `host`, `host:port`, `[v6addr]:port` or a bare IPv6 address. */
export function parseReceiver(item: string): Receiver {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
  if (bracketed) return receiver(bracketed[1] ?? '', bracketed[2], item);
  if (isIP(item) === 6) return { host: item, port: undefined };
  const [host = '', p] = item.split(':');
  return receiver(host, p, item);
}

function receiver(host: string, p: string | undefined, item: string): Receiver {
  if (host === '') throw new Error(`receiver "${item}" has no host`);
  if (p === undefined) return { host, port: undefined };
  const n = Number(p);
  if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new Error(`receiver "${item}": bad port`);
  return { host, port: n };
}

/** The default v3 engine ID: enterprise-numbered, text format (RFC 3411), from the host name. */
export function defaultEngineId(enterpriseOid: string, host = hostname()): string {
  const enterprise = Number(enterpriseOid.split('.')[6] ?? '32473');
  const head = Buffer.alloc(5);
  head.writeUInt32BE((0x80000000 | enterprise) >>> 0, 0);
  head.writeUInt8(4, 4);
  return Buffer.concat([head, Buffer.from(`ctdb:${host}`).subarray(0, 27)]).toString('hex');
}

export function trapOid(enterpriseOid: string, event: NotificationEvent): string {
  return `${enterpriseOid}.0.${EVENT_NUMBER[event]}`;
}

export function varbinds(
  enterpriseOid: string,
  event: NotificationEvent,
  facts: ClusterFacts,
  time: Date,
): snmp.Varbind[] {
  const o = `${enterpriseOid}.1`;
  const str = snmp.ObjectType.OctetString;
  return [
    { oid: `${o}.1.0`, type: str, value: event },
    { oid: `${o}.2.0`, type: str, value: facts.address },
    { oid: `${o}.3.0`, type: snmp.ObjectType.Integer, value: facts.pnn },
    { oid: `${o}.4.0`, type: str, value: facts.clusterState },
    { oid: `${o}.5.0`, type: str, value: time.toISOString() },
    { oid: `${o}.6.0`, type: str, value: facts.hostname },
  ];
}

export default defineNotificationHook({
  description: 'send an SNMP trap (v2c or v3) for each CTDB notification',
  options: {
    CTDB_NOTIFY_SNMP_RECEIVERS: list(
      [],
      'trap receivers: host, host:port or [ipv6]:port, separated by spaces or commas',
      (item) => void parseReceiver(item),
    ),
    CTDB_NOTIFY_SNMP_PORT: integer(162, 'UDP port of receivers that do not name one', {
      min: 1,
      max: 65535,
    }),
    CTDB_NOTIFY_SNMP_VERSION: oneOf(['2c', '3'], '2c', 'SNMP version: 2c or 3'),
    CTDB_NOTIFY_SNMP_COMMUNITY: text('public', 'community string (v2c)'),
    CTDB_NOTIFY_SNMP_USER: text('', 'USM user name (v3)'),
    CTDB_NOTIFY_SNMP_SECURITY_LEVEL: oneOf(
      ['auto', 'noAuthNoPriv', 'authNoPriv', 'authPriv'],
      'auto',
      'v3 security level; auto picks the highest the passwords allow',
    ),
    CTDB_NOTIFY_SNMP_AUTH_PROTOCOL: oneOf(
      ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'],
      'sha',
      'v3 authentication protocol',
    ),
    CTDB_NOTIFY_SNMP_AUTH_PASSWORD: text('', 'v3 authentication pass phrase'),
    CTDB_NOTIFY_SNMP_PRIV_PROTOCOL: oneOf(
      ['des', 'aes', 'aes256b', 'aes256r'],
      'aes',
      'v3 privacy (encryption) protocol',
    ),
    CTDB_NOTIFY_SNMP_PRIV_PASSWORD: text('', 'v3 privacy pass phrase'),
    CTDB_NOTIFY_SNMP_ENGINE_ID: text(
      '',
      'v3 engine ID in hex (default: derived from the host name)',
    ),
    CTDB_NOTIFY_SNMP_INFORM: yesNo(false, 'send informs and wait for acknowledgement'),
    CTDB_NOTIFY_SNMP_ENTERPRISE_OID: {
      ...text(DEFAULT_ENTERPRISE_OID, 'root of the notification and object OIDs'),
      parse: (t: string) => (checkOid(t), t),
    },
    CTDB_NOTIFY_SNMP_EVENTS: list(
      ['init', 'setup', 'startup', 'unhealthy', 'healthy'],
      'the notifications to send',
      (e) => {
        if (!Object.hasOwn(EVENT_NUMBER, e)) throw new Error(`"${e}" is not a notification event`);
      },
    ),
  },

  async notify(event, ctx) {
    const o = ctx.options;
    if (!o.CTDB_NOTIFY_SNMP_EVENTS.includes(event)) return;
    if (o.CTDB_NOTIFY_SNMP_RECEIVERS.length === 0)
      throw new Error('CTDB_NOTIFY_SNMP_RECEIVERS is not set');
    const oid = o.CTDB_NOTIFY_SNMP_ENTERPRISE_OID;
    const time = new Date();
    const facts = await clusterFacts(ctx.env, ctx.signal, Math.min(5000, ctx.timeoutMs / 2));
    const binds = varbinds(oid, event, facts, time);
    const inform = o.CTDB_NOTIFY_SNMP_INFORM;

    const sendOne = (r: Receiver): Promise<void> => {
      const transport = isIP(r.host) === 6 ? 'udp6' : 'udp4';
      const common = {
        transport,
        trapPort: r.port ?? o.CTDB_NOTIFY_SNMP_PORT,
        timeout: Math.max(500, Math.floor(ctx.timeoutMs / 3)),
        retries: 1,
      } as const;
      let session: snmp.Session;
      if (o.CTDB_NOTIFY_SNMP_VERSION === '3') {
        if (o.CTDB_NOTIFY_SNMP_USER === '') throw new Error('CTDB_NOTIFY_SNMP_USER is not set');
        const auth = o.CTDB_NOTIFY_SNMP_AUTH_PASSWORD;
        const priv = o.CTDB_NOTIFY_SNMP_PRIV_PASSWORD;
        let level = o.CTDB_NOTIFY_SNMP_SECURITY_LEVEL;
        if (level === 'auto')
          level = auth === '' ? 'noAuthNoPriv' : priv === '' ? 'authNoPriv' : 'authPriv';
        if (level !== 'noAuthNoPriv' && auth === '')
          throw new Error(`${level} needs CTDB_NOTIFY_SNMP_AUTH_PASSWORD`);
        if (level === 'authPriv' && priv === '')
          throw new Error('authPriv needs CTDB_NOTIFY_SNMP_PRIV_PASSWORD');
        const engineID =
          o.CTDB_NOTIFY_SNMP_ENGINE_ID === '' ? defaultEngineId(oid) : o.CTDB_NOTIFY_SNMP_ENGINE_ID;
        ctx.log.debug({ engineID }, 'SNMPv3 engine ID');
        session = snmp.createV3Session(
          r.host,
          {
            name: o.CTDB_NOTIFY_SNMP_USER,
            level: snmp.SecurityLevel[level],
            ...(level === 'noAuthNoPriv'
              ? {}
              : { authProtocol: AUTH[o.CTDB_NOTIFY_SNMP_AUTH_PROTOCOL], authKey: auth }),
            ...(level === 'authPriv'
              ? { privProtocol: PRIV[o.CTDB_NOTIFY_SNMP_PRIV_PROTOCOL], privKey: priv }
              : {}),
          },
          { ...common, version: snmp.Version3, engineID },
        );
      } else {
        session = snmp.createSession(r.host, o.CTDB_NOTIFY_SNMP_COMMUNITY, {
          ...common,
          version: snmp.Version2c,
        });
      }
      const where = `${r.host}:${common.trapPort}`;
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err: Error | null): void => {
          if (settled) return;
          settled = true;
          ctx.signal.removeEventListener('abort', onAbort);
          session.close();
          if (err === null) resolve();
          else reject(new Error(`${inform ? 'inform' : 'trap'} to ${where}: ${err.message}`));
        };
        const onAbort = (): void => {
          finish(new Error('deadline passed'));
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        session.on('error', (err: Error) => {
          finish(err);
        });
        if (inform) {
          session.inform(trapOid(oid, event), binds, (err) => {
            finish(err);
          });
        } else {
          session.trap(trapOid(oid, event), binds, (err) => {
            finish(err);
          });
        }
      });
    };

    const receivers = o.CTDB_NOTIFY_SNMP_RECEIVERS.map(parseReceiver);
    const results = await Promise.allSettled(receivers.map(sendOne));
    const failures = results.flatMap((r) =>
      r.status === 'rejected'
        ? [r.reason instanceof Error ? r.reason.message : String(r.reason)]
        : [],
    );
    if (failures.length > 0) throw new Error(failures.join('; '));
    ctx.log.info(
      { event, receivers: o.CTDB_NOTIFY_SNMP_RECEIVERS },
      `sent SNMP ${inform ? 'inform' : 'trap'} for ${event}`,
    );
  },
});
