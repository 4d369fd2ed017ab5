// The notification dispatcher (runtime/notification): which scripts it runs, that the caller
// never waits, that failures and deadlines are logged (and a timed-out script's whole process
// group is killed), and that a receiver that is down or hung does not hold anything up. Also:
// CTDB's own notify.sh runs our TypeScript hooks unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enabledNotificationScripts, notify } from '../../runtime/notification/index.js';
import { makeHookBase, MemoryLog, type HookBase } from './support/hooks.js';
import { MailSink } from './support/smtp.js';

function script(path: string, body: string, mode = 0o755): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
}

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('notification dispatcher', () => {
  let hooks: HookBase;
  let marks: string;

  before(() => {
    hooks = makeHookBase('notify');
    marks = join(hooks.dir, 'marks');
  });
  after(() => {
    hooks.cleanup();
  });

  test('runs every executable *.script with the event, and nothing else', async () => {
    const d = hooks.notificationDir;
    script(join(d, 'a.script'), `echo "a $1 $CTDB_BASE" >> ${marks}`);
    script(join(d, 'b.script'), `echo "b $1" >> ${marks}`);
    script(join(d, 'off.script'), `echo "off $1" >> ${marks}`, 0o644);
    script(join(d, 'helper.sh'), `echo "helper $1" >> ${marks}`);
    // Enabled by a symlink to a script kept elsewhere, as packaged scripts are.
    script(join(hooks.dir, 'shipped'), `echo "c $1" >> ${marks}`);
    symlinkSync(join(hooks.dir, 'shipped'), join(d, 'c.script'));
    assert.deepEqual(
      (await enabledNotificationScripts(d)).map((p) => p.slice(d.length + 1)),
      ['a.script', 'b.script', 'c.script'],
    );
    const outcomes = await notify('startup', { log: new MemoryLog(), env: hooks.env }).done;
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0],
    );
    const lines = readFileSync(marks, 'utf8').trim().split('\n').sort();
    assert.deepEqual(lines, [`a startup ${hooks.base}`, 'b startup', 'c startup']);
    rmSync(join(d, 'c.script'));
  });

  test('the caller never waits; a failure is logged as CTDB logs it; others still run', async () => {
    const d = hooks.notificationDir;
    script(join(d, 'a.script'), 'sleep 1');
    script(join(d, 'b.script'), 'echo "cannot reach receiver" >&2; exit 3');
    const log = new MemoryLog();
    const t0 = performance.now();
    const run = notify('unhealthy', { log, env: hooks.env });
    const returnedAfter = performance.now() - t0;
    assert.ok(returnedAfter < 20, `notify() returned after ${returnedAfter} ms`);
    const outcomes = await run.done;
    assert.ok(performance.now() - t0 >= 900, 'the slow script did run');
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 3],
    );
    assert.deepEqual(log.errors(), [
      `Notification script "${join(d, 'b.script')} unhealthy" failed with error 3`,
    ]);
    assert.match(outcomes[1]?.output ?? '', /cannot reach receiver/);
  });

  test('a script past its deadline is killed with everything it started', async () => {
    const d = hooks.notificationDir;
    const pidFile = join(hooks.dir, 'grandchild.pid');
    script(join(d, 'a.script'), `sleep 30 & echo $! > ${pidFile}; wait`);
    script(join(d, 'b.script'), 'exit 0');
    const log = new MemoryLog();
    const outcomes = await notify('healthy', { log, env: hooks.env, timeoutMs: 500 }).done;
    assert.equal(outcomes[0]?.timedOut, true);
    assert.ok((outcomes[0]?.durationMs ?? 0) < 5000);
    assert.match(log.errors().join('\n'), /a\.script healthy" timed out after 500 ms/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 20 && alive(grandchild); i++) await sleep(50);
    assert.equal(alive(grandchild), false, 'the background sleep was killed too');
  });

  test('a single notification script: missing or not executable is logged', async () => {
    const log = new MemoryLog();
    await notify('init', { log, env: hooks.env, script: join(hooks.dir, 'nope.sh') }).done;
    const notExec = join(hooks.dir, 'notify-noexec.sh');
    script(notExec, 'exit 0', 0o644);
    await notify('init', { log, env: hooks.env, script: notExec }).done;
    assert.match(log.errors()[0] ?? '', /^Could not stat notification script .*nope\.sh/);
    assert.equal(log.errors()[1], `Notification script ${notExec} is not executable.`);
  });
});

describe('email receiver down or hung', () => {
  let hooks: HookBase;
  let hung: Server;
  const sockets: Socket[] = [];

  before(async () => {
    hooks = makeHookBase('down');
    // Accepts connections and never says a word: an SMTP server that hangs.
    hung = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hung.close(() => r()));
    hooks.cleanup();
  });

  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  function install(port: number): void {
    hooks.install(
      'email',
      'email',
      `CTDB_NOTIFY_EMAIL_SMTP_HOST=127.0.0.1\nCTDB_NOTIFY_EMAIL_SMTP_PORT=${port}\nCTDB_NOTIFY_EMAIL_TO=admin@example.org\n`,
    );
  }

  test('connection refused: notify returns at once, the failure is logged', async () => {
    install(await closedPort());
    const log = new MemoryLog();
    const t0 = performance.now();
    const run = notify('unhealthy', { log, env: hooks.env });
    assert.ok(performance.now() - t0 < 20, 'notify() did not wait');
    const [outcome] = await run.done;
    assert.equal(outcome?.exitCode, 1);
    assert.match(log.errors()[0] ?? '', /email\.script unhealthy" failed with error 1/);
    assert.match(outcome?.output ?? '', /unhealthy notification failed: .*ECONNREFUSED/);
  });

  test('a hung server: the hook gives up at its deadline, the caller never waited', async () => {
    install((hung.address() as AddressInfo).port);
    const log = new MemoryLog();
    const env = { ...hooks.env, CTDB_NOTIFY_TIMEOUT: '2' };
    const t0 = performance.now();
    const run = notify('unhealthy', { log, env });
    assert.ok(performance.now() - t0 < 20, 'notify() did not wait');
    const [outcome] = await run.done;
    const took = performance.now() - t0;
    assert.equal(outcome?.exitCode, 1);
    assert.ok(took >= 1000 && took < 15_000, `hook ended after ${took} ms`);
    assert.match(log.errors()[0] ?? '', /email\.script unhealthy" failed with error 1/);
    assert.match(outcome?.output ?? '', /notification failed/);
  });
});

describe(
  "CTDB's notify.sh runs our hooks",
  { skip: existsSync('/etc/ctdb/notify.sh') ? false : 'no /etc/ctdb/notify.sh' },
  () => {
    test('an email arrives through /etc/ctdb/notify.sh', async () => {
      const hooks = makeHookBase('notifysh');
      const sink = await MailSink.start({});
      try {
        hooks.install(
          'email',
          'email',
          `CTDB_NOTIFY_EMAIL_SMTP_HOST=127.0.0.1\nCTDB_NOTIFY_EMAIL_SMTP_PORT=${sink.port}\nCTDB_NOTIFY_EMAIL_SECURITY=none\nCTDB_NOTIFY_EMAIL_TO=admin@example.org\n`,
        );
        copyFileSync('/etc/ctdb/notify.sh', join(hooks.base, 'notify.sh'));
        chmodSync(join(hooks.base, 'notify.sh'), 0o755);
        // Asynchronously: the SMTP server runs in this process.
        const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          execFile(
            join(hooks.base, 'notify.sh'),
            ['healthy'],
            { env: hooks.env, timeout: 30_000 },
            (err, _stdout, stderr) => {
              resolve({ code: err === null ? 0 : (err.code as number | null), stderr });
            },
          );
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(sink.mails.length, 1);
        assert.match(sink.mails[0]?.headers.get('subject') ?? '', /^CTDB healthy: /);
      } finally {
        await sink.close();
        hooks.cleanup();
      }
    });
  },
);
