// How our ctdb-eventd runs executable scripts (a batch per run of consecutive ones, through the
// fork server) and when it starts its TypeScript worker: a real daemon process on a temporary
// CTDB_BASE, driven over its socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  daemonForSuite,
  makeFixture,
  sleep,
  startDaemon,
  TS_HEADER,
  waitUntil,
  type Daemon,
  type Fixture,
} from './support.js';
import { EventdClient } from '../../runtime/eventd/client.js';
import { Errno } from '../../runtime/eventd/errno.js';
import { nativeProgram } from '../../runtime/paths/index.js';

function threads(pid: number): number {
  const m = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]);
}

/** Live child processes of `pid` with their command names. */
function children(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`))
    for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' '))
      if (c.trim() !== '') {
        try {
          out.push({ pid: Number(c), comm: readFileSync(`/proc/${c}/comm`, 'utf8').trim() });
        } catch {
          // gone meanwhile
        }
      }
  return out;
}

/** Process names (comm, 15 characters at most) of the two fork servers. */
const SERVER_NAMES = ['ctdb_fork_serve', 'perl'];
const isServer = (c: { comm: string }): boolean => SERVER_NAMES.includes(c.comm);

/** Both fork servers: the C one when built, and the Perl one forced by the switch. */
const SERVERS = [
  {
    name: 'C',
    comm: 'ctdb_fork_serve',
    setEnv: (env: NodeJS.ProcessEnv) => {
      delete env.CTDB_TS_EVENTD_FORK_SERVER;
    },
    skip:
      nativeProgram('ctdb_fork_server') === undefined
        ? 'build/Release/ctdb_fork_server is not built'
        : false,
  },
  {
    name: 'Perl',
    comm: 'perl',
    setEnv: (env: NodeJS.ProcessEnv) => {
      env.CTDB_TS_EVENTD_FORK_SERVER = 'perl';
    },
    skip: false,
  },
] as const;

const WORKER_LINE = 'Started a TypeScript eventscript worker';
const count = (text: string, what: string): number => text.split(what).length - 1;

for (const srv of SERVERS)
  describe(
    `exec scripts in batches, through the ${srv.name} fork server`,
    { skip: srv.skip },
    () => {
      const suite = daemonForSuite(srv.setEnv);

      function component(name: string): string {
        const dir = join(suite.fx.base, 'events', name);
        mkdirSync(dir, { recursive: true });
        return dir;
      }

      test('the 64..254 quirk and disabled results go on; the first failure stops the run', async () => {
        const dir = component('batch');
        const mark = (n: string): string => join(suite.fx.base, `batch.${n}`);
        const script = (body: string, n: string): string =>
          `#!/bin/sh\ntouch ${mark(n)}\nset -- $(cat /proc/$$/stat)\n[ "$5" = "$$" ] && echo own-group\n${body}\n`;
        suite.fx.write(join(dir, '01.ok.script'), script('exit 0', '01'));
        suite.fx.write(join(dir, '02.quirk64.script'), script('exit 64', '02'));
        suite.fx.write(join(dir, '03.quirk77.script'), script('exit 77', '03'));
        suite.fx.write(join(dir, '04.noshebang.script'), `touch ${mark('04')}\n`);
        suite.fx.write(join(dir, '05.disabled.script'), script('exit 0', '05'), 0o644);
        suite.fx.write(
          join(dir, '06.ts.script'),
          `${TS_HEADER}export default defineEventScript({ monitor() {} });\n`,
        );
        suite.fx.write(join(dir, '07.fails.script'), script('printf "bad\\0hidden"; exit 3', '07'));
        suite.fx.write(join(dir, '08.never.script'), script('exit 0', '08'));

        assert.equal(await suite.client.run('batch', 'monitor', null, 30), Errno.ENOEXEC);
        const st = await suite.client.status('batch', 'monitor');
        assert.equal(st.result, 0);
        const got = st.status!.scripts.map((s) => [s.name, s.result, s.output]);
        assert.deepEqual(got, [
          ['01.ok', 0, 'own-group\n'],
          ['02.quirk64', 0, 'own-group\n'],
          ['03.quirk77', -Errno.ENOEXEC, 'own-group\n'],
          ['04.noshebang', -Errno.ENOEXEC, null],
          ['05.disabled', -Errno.ENOEXEC, null],
          ['06.ts', 0, null],
          // Output is a C string: it ends at the first NUL byte.
          ['07.fails', 3, 'own-group\nbad'],
        ]);
        assert.equal(existsSync(mark('04')), false, 'a file without #! is not run by a shell');
        assert.equal(existsSync(mark('05')), false);
        assert.equal(existsSync(mark('07')), true);
        assert.equal(existsSync(mark('08')), false, 'nothing runs after the failure');
        const times = st.status!.scripts.map((s) => [s.begin, s.end]);
        for (const [b, e] of times) assert.ok(b! <= e!, 'each script ends after it begins');
      });

      test('at the deadline the running script is TIMEDOUT and left running; later ones do not start', async () => {
        const dir = component('deadline');
        const pidFile = join(suite.fx.base, 'deadline.pid');
        suite.fx.write(join(dir, '01.quick.script'), '#!/bin/sh\necho quick\n');
        suite.fx.write(
          join(dir, '02.slow.script'),
          `#!/bin/sh\necho $$ > ${pidFile}\necho partial\nexec sleep 30\n`,
        );
        suite.fx.write(
          join(dir, '03.after.script'),
          `#!/bin/sh\ntouch ${join(suite.fx.base, 'after')}\n`,
        );
        const t0 = Date.now();
        assert.equal(await suite.client.run('deadline', 'monitor', null, 1), Errno.ETIMEDOUT);
        assert.ok(Date.now() - t0 < 5000);
        const st = await suite.client.status('deadline', 'monitor');
        assert.deepEqual(
          st.status!.scripts.map((s) => [s.name, s.result, s.output]),
          [
            ['01.quick', 0, 'quick\n'],
            ['02.slow', -Errno.ETIMEDOUT, 'partial\n'],
          ],
        );
        const pid = Number(readFileSync(pidFile, 'utf8'));
        assert.ok(alive(pid), 'a timed-out script is left running (no debug script configured)');
        assert.equal(existsSync(join(suite.fx.base, 'after')), false);
        // Later events run normally meanwhile.
        assert.equal(await suite.client.run('deadline', 'startup', null, 1), Errno.ETIMEDOUT);
        process.kill(-pid, 'SIGKILL');
      });

      test('a cancelled monitor has its running script killed with its whole process group', async () => {
        const dir = component('cancelgroup');
        const pids = join(suite.fx.base, 'cancel.pids');
        suite.fx.write(join(dir, '01.first.script'), '#!/bin/sh\nexit 0\n');
        suite.fx.write(
          join(dir, '02.hang.script'),
          `#!/bin/sh\n[ "$1" = monitor ] || exit 0\nsleep 60 &\necho "$$ $!" > ${pids}.tmp\nmv ${pids}.tmp ${pids}\nwait\n`,
        );
        const mon = suite.client.run('cancelgroup', 'monitor', null, 60);
        await waitUntil('the hanging script', () => existsSync(pids));
        const [shell, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
        assert.ok(alive(shell!) && alive(child!));
        const startup = suite.client.run('cancelgroup', 'startup', null, 30);
        assert.equal(await mon, Errno.ECANCELED);
        await waitUntil('the group to die', () => !alive(shell!) && !alive(child!), 2000);
        assert.equal(await startup, 0);
      });

      test('if the fork server dies, it is started again and scripts still run', async () => {
        const dir = component('noserver');
        suite.fx.write(join(dir, '01.echo.script'), '#!/bin/sh\necho "$0 $*"\nexit 2\n');
        assert.equal(await suite.client.run('noserver', 'monitor', 'a  b', 30), Errno.ENOEXEC);
        const server = children(suite.daemon.proc.pid!).find(isServer);
        assert.equal(server?.comm, srv.comm, 'the server chosen');
        assert.ok(server !== undefined, 'the fork server runs as a child of the daemon');
        process.kill(server.pid, 'SIGKILL');
        await waitUntil('the fork server to go', () => !alive(server.pid));
        await sleep(100);
        assert.equal(await suite.client.run('noserver', 'monitor', 'c', 30), Errno.ENOEXEC);
        const st = await suite.client.status('noserver', 'monitor');
        assert.deepEqual(
          st.status!.scripts.map((s) => [s.result, s.output]),
          [[2, `${join(dir, '01.echo.script')} monitor c\n`]],
        );
        const again = children(suite.daemon.proc.pid!).find(isServer);
        assert.ok(again !== undefined && again.pid !== server.pid, 'a new fork server');
      });
    },
  );

for (const [why, setEnv] of [
  ['switched off', (env: NodeJS.ProcessEnv) => (env.CTDB_TS_EVENTD_NO_FORK_SERVER = '1')],
  [
    'the Perl one asked for, no perl on PATH',
    (env: NodeJS.ProcessEnv) => {
      env.CTDB_TS_EVENTD_FORK_SERVER = 'perl';
      env.PATH = join(env.CTDB_BASE!, 'bin');
    },
  ],
] as const)
  describe(`exec scripts without the fork server (${why}): spawned by the daemon`, () => {
    const suite = daemonForSuite(setEnv);

    test('same results: order, quirks, the stop at the first failure, output', async () => {
      assert.equal(children(suite.daemon.proc.pid!).some(isServer), false, 'no fork server');
      suite.fx.write('01.ok.script', '#!/bin/sh\necho one\n');
      suite.fx.write('02.quirk.script', '#!/bin/sh\nexit 77\n');
      suite.fx.write('03.fails.script', '#!/bin/sh\necho "$1" >&2\nexit 5\n');
      suite.fx.write('04.never.script', '#!/bin/sh\nexit 0\n');
      assert.equal(await suite.client.run('legacy', 'monitor', null, 30), Errno.ENOEXEC);
      const st = await suite.client.status('legacy', 'monitor');
      assert.deepEqual(
        st.status!.scripts.map((s) => [s.name, s.result, s.output]),
        [
          ['01.ok', 0, 'one\n'],
          ['02.quirk', -Errno.ENOEXEC, null],
          ['03.fails', 5, 'monitor\n'],
        ],
      );
    });
  });

describe('shutdown', () => {
  let fx: Fixture;
  let daemon: Daemon | undefined;

  before(() => {
    fx = makeFixture();
  });
  after(async () => {
    await daemon?.stop();
    fx?.cleanup();
  });

  test('scripts left running after a timeout are killed when the daemon stops', async () => {
    const pidFile = join(fx.base, 'hung.pid');
    fx.write('01.hung.script', `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
    daemon = await startDaemon(fx);
    const client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    try {
      assert.equal(await client.run('legacy', 'monitor', null, 1), Errno.ETIMEDOUT);
    } finally {
      client.close();
    }
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(pid));
    await daemon.stop();
    await waitUntil('the hung script to be killed', () => !alive(pid), 3000);
  });
});

describe('the TypeScript worker starts only when needed', () => {
  let fx: Fixture;
  let daemon: Daemon | undefined;
  let client: EventdClient | undefined;

  before(() => {
    fx = makeFixture();
  });
  after(async () => {
    client?.close();
    await daemon?.stop();
    fx?.cleanup();
  });

  test('shell scripts only: no worker; a TypeScript script starts one, which is kept', async () => {
    fx.write('10.shell.script', '#!/bin/sh\nexit 0\n');
    daemon = await startDaemon(fx);
    client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    for (let i = 0; i < 3; i++) assert.equal(await client.run('legacy', 'monitor', null, 30), 0);
    await sleep(200);
    const before = threads(daemon.proc.pid!);
    assert.equal(count(daemon.log(), WORKER_LINE), 0, daemon.log());

    fx.write(
      '20.typed.script',
      `${TS_HEADER}export default defineEventScript({ monitor() {} });\n`,
    );
    assert.equal(await client.run('legacy', 'monitor', null, 30), 0);
    const st = await client.status('legacy', 'monitor');
    assert.deepEqual(
      st.status!.scripts.map((s) => [s.name, s.result]),
      [
        ['10.shell', 0],
        ['20.typed', 0],
      ],
    );
    assert.equal(count(daemon.log(), WORKER_LINE), 1, daemon.log());
    assert.ok(threads(daemon.proc.pid!) > before, 'the worker adds threads');
    for (let i = 0; i < 3; i++) assert.equal(await client.run('legacy', 'monitor', null, 30), 0);
    assert.equal(count(daemon.log(), WORKER_LINE), 1, 'the worker is kept warm, not restarted');
  });

  test('a daemon that starts with an enabled TypeScript script starts the worker at once', async () => {
    client?.close();
    client = undefined;
    await daemon?.stop();
    daemon = await startDaemon(fx);
    await waitUntil('the worker', () => count(daemon!.log(), WORKER_LINE) === 1);
    // Disabled, it does not count.
    await daemon.stop();
    fx.write('20.typed.script', `${TS_HEADER}export default defineEventScript({});\n`, 0o644);
    daemon = await startDaemon(fx);
    client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    assert.equal(await client.run('legacy', 'monitor', null, 30), 0);
    await sleep(200);
    assert.equal(count(daemon.log(), WORKER_LINE), 0, daemon.log());
  });
});

describe('a C fork server that dies without answering (a broken build): perl takes over', () => {
  // /bin/false exits at once, before answering anything, as a broken build would.
  const suite = daemonForSuite((env) => (env.CTDB_TS_EVENTD_FORK_SERVER = '/bin/false'));

  test('runs go on, and the Perl server is the one running afterwards', async () => {
    suite.fx.write('01.ok.script', '#!/bin/sh\necho one\n');
    // The first run may find the broken server gone and spawn its script itself; either way
    // it succeeds, and by the next run the Perl server has replaced it.
    assert.equal(await suite.client.run('legacy', 'monitor', null, 30), 0);
    await waitUntil('the Perl fork server', () =>
      children(suite.daemon.proc.pid!).some((c) => c.comm === 'perl'),
    );
    assert.equal(await suite.client.run('legacy', 'monitor', null, 30), 0);
    const st = await suite.client.status('legacy', 'monitor');
    assert.deepEqual(
      st.status!.scripts.map((s) => [s.name, s.result, s.output]),
      [['01.ok', 0, 'one\n']],
    );
  });
});
