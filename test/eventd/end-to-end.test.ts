// The "done when": an admin drops a TypeScript script into events/legacy/, enables it
// with `ctdb enablescript`, runs `ctdb event run <timeout> legacy monitor`, and reads the result
// with `ctdb scriptstatus`; the Debian ctdb-event tool sees the same. The same file also runs
// unchanged under Debian's own ctdb-eventd through its shebang launcher.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  debianTool,
  haveDebian,
  makeFixture,
  normaliseStatus,
  ourCtdb,
  ourTool,
  sleep,
  startDaemon,
  TSX,
  ROOT,
  type Daemon,
  type Fixture,
} from './support.js';

const skip = haveDebian ? false : 'Debian ctdb package (ctdb-event, ctdb-eventd) not installed';

const ADMIN_SCRIPT = `#!/usr/bin/env ctdb-eventscript
// An admin's own check, with no build step.
import { defineEventScript, integer } from 'ctdb-ts/eventscript';

export default defineEventScript({
  description: 'checks that the answer is still right',
  options: { CTDB_ANSWER: integer(42, 'the expected answer') },
  async monitor(_args, ctx) {
    ctx.print(\`answer is \${ctx.options.CTDB_ANSWER}\\n\`);
    return ctx.options.CTDB_ANSWER === 42;
  },
  takeip({ iface, ip, maskbits }, ctx) {
    ctx.print(\`taking \${ip}/\${maskbits} on \${iface}\\n\`);
  },
});
`;

describe('admin TypeScript script, end to end', { skip }, () => {
  let fx: Fixture;
  let daemon: Daemon;

  before(async () => {
    fx = makeFixture();
    fx.write('00.base.script', '#!/bin/sh\nexit 0\n');
    daemon = await startDaemon(fx);
  });
  after(async () => {
    await daemon?.stop();
    fx?.cleanup();
  });

  test('drop in, enablescript, event run, scriptstatus — with our ctdb and Debian ctdb-event', async () => {
    // Dropped into the component folder without the execute bit: present but disabled.
    fx.write('50.answer.script', ADMIN_SCRIPT, 0o644);
    let list = await ourCtdb(fx, 'event', 'script', 'list', 'legacy');
    assert.equal(list.stdout, '* 00.base\n  50.answer\n');

    const enable = await ourCtdb(fx, 'enablescript', '50.answer');
    assert.deepEqual([enable.code, enable.stdout, enable.stderr], [0, '', '']);
    list = await ourCtdb(fx, 'event', 'script', 'list', 'legacy');
    assert.equal(list.stdout, '* 00.base\n* 50.answer\n');

    const run = await ourCtdb(fx, 'event', 'run', '30', 'legacy', 'monitor');
    assert.deepEqual([run.code, run.stdout], [0, '']);
    const status = await ourCtdb(fx, 'scriptstatus');
    assert.equal(status.code, 0);
    assert.deepEqual(normaliseStatus(status.stdout).split('\n'), [
      '00.base              OK         DURATION DATETIME',
      '50.answer            OK         DURATION DATETIME',
      '',
    ]);
    const deb = await debianTool(fx, 'status', 'legacy', 'monitor');
    assert.equal(deb.code, 0);
    assert.equal(normaliseStatus(deb.stdout), normaliseStatus(status.stdout));

    // A failing run: options from NN.name.options, the hook returns false.
    writeFileSync(join(fx.legacy, '50.answer.options'), 'CTDB_ANSWER=41\n');
    const failed = await ourCtdb(fx, 'event', 'run', '30', 'legacy', 'monitor');
    assert.deepEqual([failed.code, failed.stdout], [8, 'Event monitor in legacy failed\n']);
    const after = await ourCtdb(fx, 'scriptstatus', 'monitor');
    assert.equal(after.code, 0, 'scriptstatus always exits 0');
    assert.match(after.stdout, /^50\.answer +ERROR +\d+\.\d{3} .*\n {2}OUTPUT: answer is 41\n$/m);
    const viaEvent = await ourCtdb(fx, 'event', 'status', 'legacy', 'monitor');
    assert.equal(viaEvent.code, 1);
    assert.equal(viaEvent.stdout, after.stdout);
    assert.equal((await debianTool(fx, 'status', 'legacy', 'monitor')).stdout, after.stdout);

    // The same with the Debian tool driving the run, typed arguments for takeip.
    const take = await debianTool(fx, 'run', '30', 'legacy', 'takeip', 'eth0', '10.0.0.5', '24');
    assert.equal(take.code, 0);
    const bad = await debianTool(fx, 'run', '30', 'legacy', 'takeip', 'eth0');
    assert.equal(bad.code, 8);
    const badStatus = await ourCtdb(fx, 'scriptstatus', 'takeip');
    assert.match(badStatus.stdout, /OUTPUT: ERROR: must supply interface, IP and maskbits\n/);

    // disablescript, and CTDB's messages for unknown scripts.
    assert.equal((await ourCtdb(fx, 'disablescript', '50.answer')).code, 0);
    list = await debianTool(fx, 'script', 'list', 'legacy');
    assert.equal(list.stdout, '* 00.base\n  50.answer\n');
    const unknown = await ourCtdb(fx, 'enablescript', '51.nothing');
    assert.deepEqual(
      [unknown.code, unknown.stdout],
      [2, 'Script 51.nothing does not exist in legacy\n'],
    );
  });

  test('a shipped TypeScript script in the data dir is enabled by an absolute link', async () => {
    fx.write(join(fx.share, '60.shipped.ts'), ADMIN_SCRIPT);
    const r = await ourCtdb(fx, 'enablescript', '60.shipped');
    assert.equal(r.code, 0);
    const link = join(fx.legacy, '60.shipped.script');
    assert.equal(readlinkSync(link), realpathSync(join(fx.share, '60.shipped.ts')));
    const list = await ourTool(fx, 'script', 'list', 'legacy');
    assert.ok(list.stdout.startsWith('* 60.shipped\n\n* 00.base\n'), list.stdout);
    rmOptions(fx);
    assert.equal((await debianTool(fx, 'run', '30', 'legacy', 'monitor')).code, 0);
    const st = await debianTool(fx, 'status', 'legacy', 'monitor');
    assert.match(st.stdout, /^60\.shipped +OK/m);
  });

  test("`ctdb event` keeps ctdb's 64..254 → n-64 helper quirk", async () => {
    const dir = join(fx.base, 'events', 'quirk');
    mkdirSync(dir);
    fx.write(join(dir, '01.hang.script'), '#!/bin/sh\nsleep 3\n');
    const r = await ourCtdb(fx, 'event', 'run', '1', 'quirk', 'monitor');
    assert.deepEqual([r.code, r.stderr], [46, 'event daemon helper failed with error 46\n']);
    const s = await ourCtdb(fx, 'scriptstatus', 'a', 'b');
    assert.equal(s.code, 1);
    assert.match(
      s.stdout,
      /scriptstatus +\[init\|setup\|startup\|monitor\|takeip\|releaseip\|ipreallocated\] +show event script status/,
    );
  });
});

function rmOptions(fx: Fixture): void {
  writeFileSync(join(fx.legacy, '50.answer.options'), '');
}

describe("the same TypeScript file under Debian's ctdb-eventd", { skip }, () => {
  let fx: Fixture;
  let daemon: Daemon;

  before(async () => {
    fx = makeFixture();
    daemon = await startDaemon(fx, { debian: true });
  });
  after(async () => {
    await daemon?.stop();
    fx?.cleanup();
  });

  test('runs through the ctdb-eventscript shebang launcher, same statuses as ours', async () => {
    fx.write('50.answer.script', ADMIN_SCRIPT);
    fx.write('10.shell.script', '#!/bin/sh\necho shell ok\n');
    assert.equal((await debianTool(fx, 'run', '60', 'legacy', 'monitor')).code, 0);
    const ok = await debianTool(fx, 'status', 'legacy', 'monitor');
    assert.match(ok.stdout, /^50\.answer +OK/m);
    writeFileSync(join(fx.legacy, '50.answer.options'), 'CTDB_ANSWER=7\n');
    assert.equal((await debianTool(fx, 'run', '60', 'legacy', 'monitor')).code, 8);
    const real = await debianTool(fx, 'status', 'legacy', 'monitor');
    assert.equal(real.code, 1);
    await daemon.stop();
    daemon = await startDaemon(fx);
    assert.equal((await debianTool(fx, 'run', '60', 'legacy', 'monitor')).code, 8);
    const mine = await debianTool(fx, 'status', 'legacy', 'monitor');
    assert.equal(mine.code, real.code);
    assert.equal(normaliseStatus(mine.stdout), normaliseStatus(real.stdout));
    assert.match(mine.stdout, /OUTPUT: answer is 7\n/);
  });
});

describe('ctdb-eventd process options', { skip }, () => {
  test('-S writes a native 0 when ready; -P exits when the parent is gone', async () => {
    const fx = makeFixture();
    try {
      // A short-lived "parent" whose PID we hand to the daemon.
      const parent = spawn('sleep', ['60']);
      const child = spawn(
        'sh',
        [
          '-c',
          `exec "${process.execPath}" --import "${TSX}" "${join(ROOT, 'tools/ctdb-eventd.ts')}" -P ${parent.pid} -S 3 3>&1 1>/dev/null`,
        ],
        { env: fx.env, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const first = await new Promise<Buffer>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no startup notification in 30 s')), 30000);
        child.stdout.once('data', (b: Buffer) => {
          clearTimeout(t);
          resolve(b);
        });
      });
      assert.deepEqual([...first.subarray(0, 4)], [0, 0, 0, 0]);
      assert.equal(child.exitCode, null, 'still running while the parent lives');
      parent.kill('SIGKILL');
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const code = await Promise.race([exited, sleep(15000).then(() => 'still running')]);
      assert.equal(code, 0, 'the daemon exits after its parent went away');
    } finally {
      fx.cleanup();
    }
  });

  test('the configured debug script runs for a hung script, which is then terminated', async () => {
    const fx = makeFixture();
    const debugOut = join(fx.base, 'debug.out');
    fx.write(join(fx.base, 'debug-hung.sh'), `#!/bin/sh\necho "debugging $1 $2" > ${debugOut}\n`);
    writeFileSync(join(fx.base, 'ctdb.conf'), '[event]\n\tdebug script = debug-hung.sh\n');
    const pidFile = join(fx.base, 'hung.pid');
    fx.write('01.hang.script', `#!/bin/sh\necho $$ > ${pidFile}\nsleep 30\n`);
    const daemon = await startDaemon(fx);
    try {
      assert.equal((await debianTool(fx, 'run', '1', 'legacy', 'monitor')).code, 110);
      const { readFileSync, existsSync } = await import('node:fs');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(50);
        try {
          process.kill(pid, 0);
        } catch {
          gone = true;
        }
      }
      assert.ok(gone, 'hung script terminated after the debug script ran');
      assert.ok(existsSync(debugOut));
      assert.equal(readFileSync(debugOut, 'utf8'), `debugging ${pid} monitor\n`);
    } finally {
      await daemon.stop();
      fx.cleanup();
    }
  });

  test('a bad debug script setting stops startup with the file and key', async () => {
    const fx = makeFixture();
    try {
      writeFileSync(join(fx.base, 'ctdb.conf'), '[event]\ndebug script = missing.sh\n');
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(process.execPath, ['--import', TSX, join(ROOT, 'tools/ctdb-eventd.ts')], {
          env: fx.env,
        });
        let err = '';
        c.stderr.on('data', (b: Buffer) => (err += b.toString()));
        c.on('exit', (code) => resolve({ code, err }));
      });
      assert.equal(r.code, 1);
      assert.match(r.err, /ctdb\.conf: \[event\] debug script: .*missing\.sh does not exist/);
    } finally {
      fx.cleanup();
    }
  });
});
