// The email notification hook against a real SMTP server: the `unhealthy` and `healthy`
// mails arrive over STARTTLS with SMTP AUTH, with the subject from the template and a body
// naming the node, the event and the cluster status; when ctdbd is down the body says so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { notify } from '../../runtime/notification/index.js';
import { makeHookBase, MemoryLog, type HookBase } from './support/hooks.js';
import { MailSink } from './support/smtp.js';

describe('email notification hook', () => {
  let hooks: HookBase;
  let sink: MailSink;

  before(async () => {
    hooks = makeHookBase('email');
    sink = await MailSink.start({ users: { ctdb: 's3cret pass' } });
    hooks.install(
      'email',
      'email',
      [
        'CTDB_NOTIFY_EMAIL_SMTP_HOST=127.0.0.1',
        `CTDB_NOTIFY_EMAIL_SMTP_PORT=${sink.port}`,
        'CTDB_NOTIFY_EMAIL_SECURITY=starttls',
        'CTDB_NOTIFY_EMAIL_TLS_VERIFY=no',
        'CTDB_NOTIFY_EMAIL_USER=ctdb',
        'CTDB_NOTIFY_EMAIL_PASSWORD="s3cret pass"',
        'CTDB_NOTIFY_EMAIL_FROM=cluster@example.org',
        'CTDB_NOTIFY_EMAIL_TO="admin@example.org, oncall@example.org"',
        "CTDB_NOTIFY_EMAIL_SUBJECT='[{EVENT}] node {pnn} ({address}) on {hostname}'",
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await sink.close();
    hooks.cleanup();
  });

  async function send(event: 'unhealthy' | 'healthy'): Promise<void> {
    const outcomes = await notify(event, { log: new MemoryLog(), env: hooks.env }).done;
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0],
      outcomes.map((o) => o.output).join('\n'),
    );
  }

  test('unhealthy and healthy mails over STARTTLS with AUTH', async () => {
    await send('unhealthy');
    await send('healthy');
    assert.equal(sink.mails.length, 2);
    const [unhealthy, healthy] = sink.mails;
    assert.ok(unhealthy && healthy);
    assert.equal(unhealthy.secure, true, 'STARTTLS was used');
    assert.equal(unhealthy.user, 'ctdb');
    assert.equal(unhealthy.from, 'cluster@example.org');
    assert.deepEqual(unhealthy.to, ['admin@example.org', 'oncall@example.org']);
    assert.equal(
      unhealthy.headers.get('subject'),
      `[UNHEALTHY] node 1 (10.1.0.2) on ${hostname()}`,
    );
    assert.equal(healthy.headers.get('subject'), `[HEALTHY] node 1 (10.1.0.2) on ${hostname()}`);
    assert.match(
      unhealthy.body,
      new RegExp(`^Node: +${hostname()}, PNN 1, address 10\\.1\\.0\\.2$`, 'm'),
    );
    assert.match(
      unhealthy.body,
      /^Event: unhealthy \(monitor: the node went from HEALTHY to UNHEALTHY\)$/m,
    );
    assert.match(unhealthy.body, /^pnn:1 10\.1\.0\.2 +UNHEALTHY \(THIS NODE\)$/m);
    assert.match(unhealthy.body, /^Recovery mode:NORMAL \(0\)$/m);
    assert.match(healthy.body, /^Event: healthy /m);
  });

  test('when ctdbd is unreachable the mail says so', async () => {
    hooks.setDaemonDown(true);
    try {
      const before = sink.mails.length;
      await send('unhealthy');
      const mail = sink.mails[before];
      assert.ok(mail);
      assert.equal(mail.headers.get('subject'), `[UNHEALTHY] node -1 (unknown) on ${hostname()}`);
      assert.match(mail.body, /PNN and address unknown: ctdbd could not be reached/);
      assert.match(
        mail.body,
        /The cluster status is unavailable: ctdbd could not be reached \(Failed to connect to CTDB daemon/,
      );
    } finally {
      hooks.setDaemonDown(false);
    }
  });
});
