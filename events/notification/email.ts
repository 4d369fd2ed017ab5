#!/usr/bin/env ctdb-eventscript
// Email notification hook: mails the recipients when ctdbd raises a notification. The body
// names the node (host, PNN, private address), the event and when it happened, and gives the
// cluster status at that moment (`ctdb status`), or says ctdbd could not be reached.
//
// Subject template placeholders: {event}, {EVENT} (upper case), {hostname}, {pnn},
// {address}, {time}. Transport security (CTDB_NOTIFY_EMAIL_SECURITY): `opportunistic`
// (STARTTLS when offered, the default), `starttls` (required), `tls` (TLS from the first
// byte, usually port 465), `none`.
import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import {
  defineNotificationHook,
  NOTIFICATION_EVENTS,
  type NotificationEvent,
} from '../../lib/eventscript/notification.js';
import { clusterFacts, clusterStatusText, type ClusterFacts } from './support/cluster-facts.js';
import { integer, string as text, yesNo } from '../../lib/options/index.js';
import { list, oneOf } from './support/option-kinds.js';

export const DEFAULT_SUBJECT = 'CTDB {event}: {hostname} (node {pnn})';

export function renderTemplate(
  template: string,
  event: NotificationEvent,
  facts: ClusterFacts,
  time: Date,
): string {
  const values: Readonly<Record<string, string>> = {
    event,
    EVENT: event.toUpperCase(),
    hostname: facts.hostname,
    pnn: String(facts.pnn),
    address: facts.address === '' ? 'unknown' : facts.address,
    time: time.toISOString(),
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function renderBody(
  event: NotificationEvent,
  facts: ClusterFacts,
  time: Date,
  status: string,
): string {
  const node =
    facts.pnn >= 0
      ? `${facts.hostname}, PNN ${facts.pnn}, address ${facts.address}`
      : `${facts.hostname} (PNN and address unknown: ctdbd could not be reached)`;
  return [
    `CTDB notification: ${event}`,
    '',
    `Node:  ${node}`,
    `Event: ${event} (${NOTIFICATION_EVENTS[event]})`,
    `Time:  ${time.toISOString()}`,
    '',
    'Cluster status at that moment:',
    '',
    status,
    '',
  ].join('\n');
}

export default defineNotificationHook({
  description: 'send an email for each CTDB notification',
  options: {
    CTDB_NOTIFY_EMAIL_SMTP_HOST: text('localhost', 'SMTP server'),
    CTDB_NOTIFY_EMAIL_SMTP_PORT: integer(0, 'SMTP port (0: 465 with tls, else 25)', {
      min: 0,
      max: 65535,
    }),
    CTDB_NOTIFY_EMAIL_SECURITY: oneOf(
      ['opportunistic', 'starttls', 'tls', 'none'],
      'opportunistic',
      'transport security: opportunistic, starttls (required), tls, none',
    ),
    CTDB_NOTIFY_EMAIL_TLS_VERIFY: yesNo(true, "verify the server's certificate"),
    CTDB_NOTIFY_EMAIL_USER: text('', 'SMTP AUTH user (no AUTH when empty)'),
    CTDB_NOTIFY_EMAIL_PASSWORD: text('', 'SMTP AUTH password'),
    CTDB_NOTIFY_EMAIL_FROM: text('', 'sender address (default ctdb@<hostname>)'),
    CTDB_NOTIFY_EMAIL_TO: list([], 'recipients, separated by spaces or commas', (a) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(a)) throw new Error(`"${a}" is not an email address`);
    }),
    CTDB_NOTIFY_EMAIL_SUBJECT: text(DEFAULT_SUBJECT, 'subject template'),
    CTDB_NOTIFY_EMAIL_EVENTS: list(
      Object.keys(NOTIFICATION_EVENTS),
      'the notifications to send',
      (e) => {
        if (!Object.hasOwn(NOTIFICATION_EVENTS, e))
          throw new Error(`"${e}" is not a notification event`);
      },
    ),
  },

  async notify(event, ctx) {
    const o = ctx.options;
    if (!o.CTDB_NOTIFY_EMAIL_EVENTS.includes(event)) return;
    if (o.CTDB_NOTIFY_EMAIL_TO.length === 0) throw new Error('CTDB_NOTIFY_EMAIL_TO is not set');
    const time = new Date();
    const factsBudget = Math.min(5000, ctx.timeoutMs / 4);
    const [facts, status] = await Promise.all([
      clusterFacts(ctx.env, ctx.signal, factsBudget),
      clusterStatusText(ctx.env, ctx.signal, factsBudget),
    ]);
    const security = o.CTDB_NOTIFY_EMAIL_SECURITY;
    const wait = Math.max(1000, Math.floor(ctx.timeoutMs / 2));
    const transport = nodemailer.createTransport({
      host: o.CTDB_NOTIFY_EMAIL_SMTP_HOST,
      port: o.CTDB_NOTIFY_EMAIL_SMTP_PORT || (security === 'tls' ? 465 : 25),
      secure: security === 'tls',
      requireTLS: security === 'starttls',
      ignoreTLS: security === 'none',
      tls: { rejectUnauthorized: o.CTDB_NOTIFY_EMAIL_TLS_VERIFY },
      connectionTimeout: wait,
      greetingTimeout: wait,
      socketTimeout: wait,
      ...(o.CTDB_NOTIFY_EMAIL_USER === ''
        ? {}
        : { auth: { user: o.CTDB_NOTIFY_EMAIL_USER, pass: o.CTDB_NOTIFY_EMAIL_PASSWORD } }),
    });
    const onAbort = (): void => {
      transport.close();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const info = await transport.sendMail({
        from: o.CTDB_NOTIFY_EMAIL_FROM === '' ? `ctdb@${hostname()}` : o.CTDB_NOTIFY_EMAIL_FROM,
        to: [...o.CTDB_NOTIFY_EMAIL_TO],
        subject: renderTemplate(o.CTDB_NOTIFY_EMAIL_SUBJECT, event, facts, time),
        text: renderBody(event, facts, time, status),
      });
      ctx.log.info({ event, messageId: info.messageId }, `sent ${event} email`);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      transport.close();
    }
  },
});
