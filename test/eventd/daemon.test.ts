// Our ctdb-eventd as a real process, driven by Debian's ctdb-event tool (when installed) over
// the CTDB 4.17 event protocol on $CTDB_BASE/run/eventd.socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  debianTool,
  haveDebian,
  makeFixture,
  normaliseStatus,
  sleep,
  startDaemon,
  TS_HEADER,
  type Daemon,
  type Fixture,
} from './support.js';
import { EventdClient } from '../../runtime/eventd/client.js';
import { eventTool } from '../../runtime/eventd/tool.js';

const skip = haveDebian ? false : 'Debian ctdb package (ctdb-event) not installed';

/** Runs our ctdb-event code in-process (same code as tools/ctdb-event.ts). */
async function ours(
  fx: Fixture,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await eventTool(
    args,
    { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    fx.env,
  );
  return { code, stdout, stderr };
}

describe('our ctdb-eventd under the Debian ctdb-event tool', { skip }, () => {
  let fx: Fixture;
  let daemon: Daemon;

  before(async () => {
    fx = makeFixture();
    daemon = await startDaemon(fx);
  });
  after(async () => {
    await daemon?.stop();
    fx?.cleanup();
  });

  test('scripts run in byte order; disabled ones are listed; junk is ignored', async () => {
    const dir = join(fx.base, 'events', 'order');
    mkdirSync(dir);
    const log = join(fx.base, 'order.log');
    const script = (n: string): string => `#!/bin/sh\necho ${n} >> ${log}\n`;
    for (const n of ['20.b', '10.a', '10.B', '30.c']) fx.write(join(dir, `${n}.script`), script(n));
    fx.write(join(dir, '15.off.script'), script('15.off'), 0o644);
    // Junk: non-matching names, a folder, a broken link, an unreadable file, README.
    fx.write(join(dir, '50.x.script~'), script('backup'));
    fx.write(join(dir, '50.x.script.rpmnew'), script('rpmnew'));
    fx.write(join(dir, 'README'), 'not a script');
    fx.write(join(dir, '5.short.script'), script('short'));
    mkdirSync(join(dir, 'subdir'));
    symlinkSync('/nonexistent/target', join(dir, '40.broken.script'));
    fx.write(join(dir, '45.unreadable.script'), script('unreadable'), 0o000);
    mkdirSync(join(dir, '60.dir.script'));
    chmodSync(join(dir, '60.dir.script'), 0o755);

    const r = await debianTool(fx, 'run', '10', 'order', 'monitor');
    const status = await debianTool(fx, 'status', 'order', 'monitor');
    assert.equal(readFileSync(log, 'utf8'), '10.B\n10.a\n20.b\n30.c\n');
    // The unreadable script has the x bit cleared (mode 0): disabled like the broken link.
    assert.deepEqual(normaliseStatus(status.stdout).split('\n'), [
      '10.B                 OK         DURATION DATETIME',
      '10.a                 OK         DURATION DATETIME',
      '15.off               DISABLED  ',
      '20.b                 OK         DURATION DATETIME',
      '30.c                 OK         DURATION DATETIME',
      '40.broken            CANNOT RUN (No such file or directory)',
      '  OUTPUT: ',
      '',
    ]);
    assert.equal(r.code, 8, 'the broken link fails the event in 4.17');
    assert.equal(status.code, 2);
  });

  test('enable/disable through ctdb-event, our tool, and chmod', async () => {
    const s = fx.write('20.toggle.script', '#!/bin/sh\necho toggled\n', 0o644);
    let st = await debianTool(fx, 'script', 'list', 'legacy');
    assert.match(st.stdout, /^ {2}20\.toggle$/m);
    assert.equal((await debianTool(fx, 'script', 'enable', 'legacy', '20.toggle')).code, 0);
    st = await debianTool(fx, 'script', 'list', 'legacy');
    assert.match(st.stdout, /^\* 20\.toggle$/m);
    await debianTool(fx, 'run', '10', 'legacy', 'monitor');
    assert.match((await debianTool(fx, 'status', 'legacy', 'monitor')).stdout, /^20\.toggle +OK/m);

    assert.equal((await ours(fx, 'script', 'disable', 'legacy', '20.toggle')).code, 0);
    await debianTool(fx, 'run', '10', 'legacy', 'monitor');
    assert.match(
      (await debianTool(fx, 'status', 'legacy', 'monitor')).stdout,
      /^20\.toggle +DISABLED {2}$/m,
    );

    chmodSync(s, 0o755);
    await debianTool(fx, 'run', '10', 'legacy', 'monitor');
    assert.match((await debianTool(fx, 'status', 'legacy', 'monitor')).stdout, /^20\.toggle +OK/m);
    chmodSync(s, 0o644);
    await debianTool(fx, 'run', '10', 'legacy', 'monitor');
    assert.match(
      (await debianTool(fx, 'status', 'legacy', 'monitor')).stdout,
      /^20\.toggle +DISABLED/m,
    );

    // The daemon's own SCRIPT command (chmod in the etc dir).
    const client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    try {
      assert.equal(await client.script('legacy', '20.toggle', true), 0);
      assert.equal(await client.script('legacy', '99.missing', true), 2);
    } finally {
      client.close();
    }
    assert.ok(readFileSync(s).length > 0);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(s).mode & 0o111, 0o111);

    // Shipped script in the data dir: enable makes an absolute link to its real path.
    fx.write(join(fx.share, '30.shipped.script'), '#!/bin/sh\nexit 0\n');
    assert.equal((await debianTool(fx, 'script', 'enable', 'legacy', '30.shipped')).code, 0);
    const { readlinkSync } = await import('node:fs');
    assert.equal(
      readlinkSync(join(fx.legacy, '30.shipped.script')),
      join(fx.share, '30.shipped.script'),
    );
    const ourList = await ours(fx, 'script', 'list', 'legacy');
    const debList = await debianTool(fx, 'script', 'list', 'legacy');
    assert.equal(ourList.stdout, debList.stdout);
    assert.match(ourList.stdout, /^\* 30\.shipped\n\n/);
    assert.equal((await ours(fx, 'script', 'disable', 'legacy', '30.shipped')).code, 0);
    assert.equal(existsSync(join(fx.legacy, '30.shipped.script')), false);
    // Unknown script / invalid name: CTDB's messages and codes, from both tools.
    for (const tool of [ours, debianTool]) {
      const unknown = await tool(fx, 'script', 'enable', 'legacy', '77.nope');
      assert.deepEqual(
        [unknown.code, unknown.stdout],
        [2, 'Script 77.nope does not exist in legacy\n'],
      );
    }
    fx.write('README.script', 'x', 0o644);
    const invalid = await ours(fx, 'script', 'enable', 'legacy', 'README');
    assert.deepEqual([invalid.code, invalid.stdout], [22, 'Script README is invalid in legacy\n']);
  });

  test('status after a failure: list stops at the failing script, exit = its status', async () => {
    const dir = join(fx.base, 'events', 'fail');
    mkdirSync(dir);
    fx.write(join(dir, '01.ok.script'), '#!/bin/sh\nexit 0\n');
    fx.write(join(dir, '02.bad.script'), '#!/bin/sh\necho broken here\nexit 3\n');
    fx.write(join(dir, '03.never.script'), '#!/bin/sh\nexit 0\n');
    const r = await debianTool(fx, 'run', '10', 'fail', 'startup');
    assert.deepEqual([r.code, r.stdout], [8, 'Event startup in fail failed\n']);
    const s = await debianTool(fx, 'status', 'fail', 'startup');
    assert.equal(s.code, 3);
    assert.deepEqual(normaliseStatus(s.stdout).split('\n'), [
      '01.ok                OK         DURATION DATETIME',
      '02.bad               ERROR      DURATION DATETIME',
      '  OUTPUT: broken here',
      '',
      '',
    ]);
    // Exit-code quirks: 64 = success, 77 = EACCES = disabled, 65 = EPERM "CANNOT RUN".
    fx.write(join(dir, '02.bad.script'), '#!/bin/sh\nexit 64\n');
    fx.write(join(dir, '03.never.script'), '#!/bin/sh\nexit 77\n');
    fx.write(join(dir, '04.eperm.script'), '#!/bin/sh\nexit 65\n');
    await debianTool(fx, 'run', '10', 'fail', 'startup');
    const q = await debianTool(fx, 'status', 'fail', 'startup');
    assert.equal(q.code, 1);
    assert.match(q.stdout, /^02\.bad +OK/m);
    assert.match(q.stdout, /^03\.never +DISABLED/m);
    assert.match(q.stdout, /^04\.eperm +CANNOT RUN \(Operation not permitted\)$/m);
    // RUN_ALL (test mode + CTDB_EVENT_RUN_ALL) keeps going and reports the last failure.
    const all = await debianTool(
      { ...fx, env: { ...fx.env, CTDB_EVENT_RUN_ALL: '1' } },
      'run',
      '10',
      'fail',
      'startup',
    );
    assert.equal(all.code, 8);
    // Never-run event and missing component.
    const never = await debianTool(fx, 'status', 'fail', 'recovered');
    assert.deepEqual([never.code, never.stdout], [22, 'Event recovered has never run in fail\n']);
    const missing = await debianTool(fx, 'run', '10', 'foobar', 'monitor');
    assert.deepEqual([missing.code, missing.stdout], [2, 'Event dir for foobar does not exist\n']);
    const missingStatus = await debianTool(fx, 'status', 'foobar', 'monitor');
    assert.deepEqual(
      [missingStatus.code, missingStatus.stdout],
      [2, 'Event dir for foobar does not exist\n'],
    );
  });

  test('an exec script that overruns: TIMEDOUT with partial output; arguments split on spaces', async () => {
    const dir = join(fx.base, 'events', 'slow');
    mkdirSync(dir);
    const pidFile = join(fx.base, 'slow.pid');
    fx.write(join(dir, '01.args.script'), `#!/bin/sh\necho "argc=$# $*"\n`);
    fx.write(
      join(dir, '02.hang.script'),
      `#!/bin/sh\necho $$ > ${pidFile}\necho hanging\nsleep 30\n`,
    );
    const t0 = Date.now();
    const r = await debianTool(fx, 'run', '1', 'slow', 'quirk', 'args', 'a  b', 'c');
    assert.ok(Date.now() - t0 < 10000);
    assert.deepEqual([r.code, r.stdout], [110, 'Event quirk in slow timed out\n']);
    const s = await debianTool(fx, 'status', 'slow', 'quirk');
    assert.equal(s.code, 110);
    assert.deepEqual(normaliseStatus(s.stdout).split('\n'), [
      '01.args              OK         DURATION DATETIME',
      '02.hang              TIMEDOUT   DATETIME',
      '  OUTPUT: hanging',
      '',
      '',
    ]);
    // No debug script configured: the hung script is left running, as CTDB leaves it.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.doesNotThrow(() => process.kill(pid, 0));
    process.kill(-pid, 'SIGKILL');
    // timeout 0 means an immediate timeout.
    fx.write(join(dir, '02.hang.script'), '#!/bin/sh\nsleep 2\n');
    const zero = await debianTool(fx, 'run', '0', 'slow', 'quirk');
    assert.equal(zero.code, 110);
  });

  test('a running monitor is cancelled by another event; a monitor during another event is refused', async () => {
    const dir = join(fx.base, 'events', 'cancel');
    mkdirSync(dir);
    const marker = join(fx.base, 'cancel.marker');
    fx.write(
      join(dir, '01.sleep.script'),
      `#!/bin/sh\n[ "$1" = monitor ] && { touch ${marker}; sleep 5; }\nsleep 1\nexit 0\n`,
    );
    const mon = debianTool(fx, 'run', '30', 'cancel', 'monitor');
    for (let i = 0; i < 200 && !existsSync(marker); i++) await sleep(25);
    const startup = debianTool(fx, 'run', '30', 'cancel', 'startup');
    const monResult = await mon;
    assert.deepEqual(
      [monResult.code, monResult.stdout],
      [125, 'Event monitor in cancel got cancelled\n'],
    );
    await sleep(100);
    const second = await debianTool(fx, 'run', '30', 'cancel', 'monitor');
    assert.deepEqual(
      [second.code, second.stdout],
      [125, 'Event monitor in cancel got cancelled\n'],
    );
    assert.equal((await startup).code, 0);
    const st = await debianTool(fx, 'status', 'cancel', 'monitor');
    assert.deepEqual([st.code, st.stdout], [22, 'Event monitor has never run in cancel\n']);
  });

  test('a script printing 1 MB: all of it is kept', async () => {
    const dir = join(fx.base, 'events', 'big');
    mkdirSync(dir);
    fx.write(
      join(dir, '01.big.script'),
      `#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' x\necho\nexit 1\n`,
    );
    await debianTool(fx, 'run', '30', 'big', 'monitor');
    const client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    try {
      const st = await client.status('big', 'monitor');
      assert.equal(st.result, 0);
      assert.equal(st.status?.scripts[0]?.output?.length, 1048577);
    } finally {
      client.close();
    }
  });

  test('TypeScript hooks that overrun are stopped; the daemon answers meanwhile', async () => {
    const dir = join(fx.base, 'events', 'tshang');
    mkdirSync(dir);
    fx.write(
      join(dir, '01.busy.script'),
      `${TS_HEADER}export default defineEventScript({
  monitor(_a, ctx) { ctx.print('spinning\\n'); for (;;) { /* ignores its signal */ } },
  startup() { return new Promise(() => {}); },
  recovered() { throw new Error('it broke'); },
});
`,
    );
    fx.write(join(dir, '02.after.script'), '#!/bin/sh\necho after\n');
    await debianTool(fx, 'run', '10', 'tshang', 'recovered');
    const thrown = await debianTool(fx, 'status', 'tshang', 'recovered');
    assert.equal(thrown.code, 1);
    assert.match(thrown.stdout, /^01\.busy +ERROR .*\n {2}OUTPUT: it broke\n/m);

    const busy = debianTool(fx, 'run', '3', 'tshang', 'monitor');
    await sleep(1000);
    // The busy loop is in a worker: the daemon still answers.
    const t0 = Date.now();
    const during = await debianTool(fx, 'status', 'tshang', 'recovered');
    assert.equal(during.code, 1);
    assert.ok(Date.now() - t0 < 2000, 'status answered promptly during the busy hook');
    const r = await busy;
    assert.deepEqual([r.code, r.stdout], [110, 'Event monitor in tshang timed out\n']);
    const s = await debianTool(fx, 'status', 'tshang', 'monitor');
    assert.deepEqual(normaliseStatus(s.stdout).split('\n'), [
      '01.busy              TIMEDOUT   DATETIME',
      '  OUTPUT: spinning',
      '',
      '',
    ]);
    const never = debianTool(fx, 'run', '2', 'tshang', 'startup');
    await sleep(700);
    // A promise that never settles does not block the daemon either.
    const duringNever = await debianTool(fx, 'status', 'tshang', 'monitor');
    assert.equal(duringNever.code, 110);
    assert.deepEqual(
      [(await never).code, (await never).stdout],
      [110, 'Event startup in tshang timed out\n'],
    );
    // Workers were replaced: TypeScript scripts still run afterwards.
    fx.write(
      join(dir, '01.busy.script'),
      `${TS_HEADER}export default defineEventScript({ monitor(_a, ctx) { ctx.print('fine\\n'); } });\n`,
    );
    assert.equal((await debianTool(fx, 'run', '10', 'tshang', 'monitor')).code, 0);
  });

  test('a malformed options file fails the script with file and line', async () => {
    const dir = join(fx.base, 'events', 'opts');
    mkdirSync(dir);
    fx.write(
      join(dir, '10.opt.script'),
      `${TS_HEADER}import { integer } from 'ctdb-ts/eventscript';
export default defineEventScript({
  options: { CTDB_LIMIT: integer(5, 'a limit') },
  monitor(_a, ctx) { ctx.print(\`limit=\${ctx.options.CTDB_LIMIT}\\n\`); },
});
`,
    );
    writeFileSync(join(dir, '10.opt.options'), 'CTDB_LIMIT=7\n');
    await debianTool(fx, 'run', '10', 'opts', 'monitor');
    const client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
    try {
      let st = await client.status('opts', 'monitor');
      assert.equal(st.status?.scripts[0]?.output, 'limit=7\n');
      writeFileSync(join(dir, '10.opt.options'), '# limits\nCTDB_LIMIT=7\nCTDB_OTHER=two words\n');
      await debianTool(fx, 'run', '10', 'opts', 'monitor');
      st = await client.status('opts', 'monitor');
      assert.equal(st.status?.scripts[0]?.result, 1);
      assert.match(
        st.status?.scripts[0]?.output ?? '',
        new RegExp(`^${join(dir, '10.opt.options')}:3: `),
      );
    } finally {
      client.close();
    }
  });

  test('a malformed packet closes that client only', async () => {
    const sock = connect(join(fx.base, 'run', 'eventd.socket'));
    await new Promise((r) => sock.once('connect', r));
    const closed = new Promise((r) => sock.once('close', r));
    const junk = Buffer.alloc(20);
    junk.writeUInt32LE(20, 0);
    junk.writeUInt32LE(99, 12);
    sock.write(junk);
    await closed;
    const s = await debianTool(fx, 'status', 'fail', 'startup');
    assert.notEqual(s.code, 5, 'daemon still serving');
  });

  test('with no daemon: the tool fails to connect with exit 5', async () => {
    const other = makeFixture();
    try {
      const r = await ours(other, 'status', 'legacy', 'monitor');
      const d = await debianTool(other, 'status', 'legacy', 'monitor');
      assert.deepEqual([r.code, r.stderr], [d.code, d.stderr]);
      assert.equal(r.code, 5);
    } finally {
      other.cleanup();
    }
  });
});
