// End to end on a cluster of our ctdbd in network namespaces: a node whose monitor event is
// made to fail goes UNHEALTHY and its notification scripts — our SNMP-trap and email hooks,
// enabled in events/notification — reach a real snmptrapd and a real SMTP server; fixed, it
// goes HEALTHY and both receivers hear of that too. With the receivers gone, the node's state
// still changes on time and the failed notification is logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CtdbCluster, debianClusterUnavailable, ourCtdbd } from '../support/debian-ctdb.js';
import type { LabProcess } from '../support/netlab.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = fileURLToPath(import.meta.resolve('tsx'));
const SNMPTRAPD = '/usr/sbin/snmptrapd';
const FLAKY_NODE = 1;
const TRAP_PORT = 16162;
const SMTP_PORT = 2525;
const CTDB_ENTERPRISE = '1.3.6.1.4.1.32473.7';

const skip =
  debianClusterUnavailable(ourCtdbd) ??
  (existsSync(SNMPTRAPD) ? false : `${SNMPTRAPD} is not installed (Debian snmptrapd)`);

/** Polls `check` every 250 ms until it returns true; fails after `ms`. */
async function waitFor(
  what: string,
  ms: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

describe('notifications from a node whose health changes', { skip }, () => {
  let cluster: CtdbCluster;
  let work: string;
  let trapd: LabProcess;
  let smtp: LabProcess;
  let base: string;
  const trapLog = (): string => readFileSync(join(work, 'traps.log'), 'utf8');
  const mails = (): string[] =>
    existsSync(join(work, 'mail.jsonl'))
      ? readFileSync(join(work, 'mail.jsonl'), 'utf8').trim().split('\n').filter(Boolean)
      : [];

  async function flags(): Promise<string> {
    const r = await cluster.debianCtdb(0, ['-X', 'nodestatus', String(FLAKY_NODE)]);
    return r.stdout.split('\n')[1] ?? '';
  }
  const unhealthyColumn = async (): Promise<string> => (await flags()).split('|')[7] ?? '?';

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'e2e-notify-'));
    // The hooks' shebang names `ctdb-eventscript`; put a launcher for it on the daemons' PATH.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'ctdb-eventscript'),
      `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${join(ROOT, 'tools/ctdb-eventscript.ts')}" "$@"\n`,
    );
    chmodSync(join(bin, 'ctdb-eventscript'), 0o755);
    process.env.PATH = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
    cluster = await CtdbCluster.start({
      daemon: ourCtdbd,
      nodes: 2,
      label: 'e2en',
      readyTimeoutMs: 150_000,
    });
    base = cluster.node(FLAKY_NODE).base;
    const host = cluster.lab.nodes[FLAKY_NODE]!;

    // The receivers run inside the node's namespace, where the hooks send to 127.0.0.1.
    writeFileSync(join(work, 'snmptrapd.conf'), 'disableAuthorization yes\n');
    writeFileSync(join(work, 'traps.log'), '');
    trapd = host.spawn(
      [
        SNMPTRAPD,
        '-f',
        '-On',
        '-Lf',
        join(work, 'traps.log'),
        '-C',
        '-c',
        join(work, 'snmptrapd.conf'),
        '-m',
        '',
        '-n',
        `udp:127.0.0.1:${TRAP_PORT}`,
      ],
      { env: { ...process.env, SNMP_PERSISTENT_DIR: join(work, 'snmp') } },
    );
    smtp = host.spawn([
      process.execPath,
      '--import',
      TSX,
      join(import.meta.dirname, 'support/smtp-sink.ts'),
      String(SMTP_PORT),
      join(work, 'mail.jsonl'),
    ]);
    await smtp.waitForOutput(/listening/, 30_000);
    await waitFor('snmptrapd to start', 10_000, () => trapLog().includes('NET-SNMP version'));

    // Enable both hooks the way an admin does: links in events/notification plus options.
    const notificationDir = join(base, 'events', 'notification');
    mkdirSync(notificationDir, { recursive: true });
    symlinkSync(
      join(ROOT, 'events/notification/snmp-trap.ts'),
      join(notificationDir, 'snmp-trap.script'),
    );
    symlinkSync(join(ROOT, 'events/notification/email.ts'), join(notificationDir, 'email.script'));
    writeFileSync(
      join(notificationDir, 'snmp-trap.options'),
      `CTDB_NOTIFY_SNMP_RECEIVERS="127.0.0.1:${TRAP_PORT}"\nCTDB_NOTIFY_SNMP_EVENTS="unhealthy healthy"\n`,
    );
    writeFileSync(
      join(notificationDir, 'email.options'),
      [
        'CTDB_NOTIFY_EMAIL_SMTP_HOST=127.0.0.1',
        `CTDB_NOTIFY_EMAIL_SMTP_PORT=${SMTP_PORT}`,
        'CTDB_NOTIFY_EMAIL_SECURITY=none',
        'CTDB_NOTIFY_EMAIL_TO=admin@example.com',
        'CTDB_NOTIFY_EMAIL_EVENTS="unhealthy healthy"',
        '',
      ].join('\n'),
    );
    // A monitor script that fails while a flag file exists.
    const flaky = join(base, 'events', 'legacy', '50.flaky.script');
    writeFileSync(
      flaky,
      `#!/bin/sh\n[ "$1" = monitor ] || exit 0\nif [ -e "${join(base, 'fail-monitor')}" ]; then echo "flaky: failing on purpose"; exit 1; fi\nexit 0\n`,
    );
    chmodSync(flaky, 0o755);
    // Monitor often, so the test does not wait out the default 15 s interval.
    const r = await cluster.debianCtdb(FLAKY_NODE, ['setvar', 'MonitorInterval', '2']);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    trapd?.kill('SIGKILL');
    smtp?.kill('SIGKILL');
    await cluster?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test('a failing monitor makes the node UNHEALTHY and both receivers are told', async () => {
    writeFileSync(join(base, 'fail-monitor'), '');
    await waitFor(
      'the node to be UNHEALTHY',
      60_000,
      async () => (await unhealthyColumn()) === '1',
    );
    await waitFor(
      'the unhealthy trap',
      30_000,
      // The trap's OID names the event: .0.4 is unhealthy, .0.5 healthy.
      () => trapLog().includes(`${CTDB_ENTERPRISE}.0.4`),
    );
    const subject = (event: string): RegExp => new RegExp(`Subject: CTDB ${event}:`);
    await waitFor('the unhealthy email', 30_000, () =>
      mails().some((m) => subject('unhealthy').test(m)),
    );
    const mail = mails().find((m) => subject('unhealthy').test(m))!;
    assert.match(mail, /admin@example\.com/);
  });

  test('fixed, the node is HEALTHY again and both receivers are told', async () => {
    rmSync(join(base, 'fail-monitor'), { force: true });
    await waitFor('the node to be HEALTHY', 60_000, async () => (await unhealthyColumn()) === '0');
    await waitFor('the healthy trap', 30_000, () => trapLog().includes(`${CTDB_ENTERPRISE}.0.5`));
    await waitFor('the healthy email', 30_000, () =>
      mails().some((m) => /Subject: CTDB healthy:/.test(m)),
    );
  });

  test('with the receivers down, state changes are not delayed and the failure is logged', async () => {
    trapd.kill('SIGKILL');
    smtp.kill('SIGKILL');
    await Promise.all([trapd.exited, smtp.exited]);
    const daemon = cluster.node(FLAKY_NODE).process!;
    const logBefore = daemon.output().length;
    writeFileSync(join(base, 'fail-monitor'), '');
    // MonitorInterval is 2 s: the change must show within a few monitor periods, not be held
    // back by a notification that cannot be delivered.
    await waitFor(
      'the node to be UNHEALTHY without receivers',
      20_000,
      async () => (await unhealthyColumn()) === '1',
    );
    await waitFor('the failed email notification in the log', 60_000, () =>
      /email[\s\S]*(ECONNREFUSED|failed|error)/i.test(daemon.output().slice(logBefore)),
    );
    rmSync(join(base, 'fail-monitor'), { force: true });
  });
});
