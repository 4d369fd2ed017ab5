// The same fixture and the same commands against Debian's ctdb-eventd and ours: the Debian
// ctdb-event tool must print the same text and exit the same way for both. And our
// ctdb-event tool against Debian's for usage and argument errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  debianTool,
  haveDebian,
  makeFixture,
  normaliseStatus,
  ourTool,
  startDaemon,
  type Fixture,
} from './support.js';
import { eventTool } from '../../runtime/eventd/tool.js';

const skip = haveDebian ? false : 'Debian ctdb package (ctdb-event, ctdb-eventd) not installed';

function populate(fx: Fixture): void {
  const dir = join(fx.base, 'events', 'mix');
  mkdirSync(dir);
  fx.write(join(dir, '01.ok.script'), '#!/bin/sh\necho "ok $*"\n');
  fx.write(join(dir, '02.off.script'), '#!/bin/sh\nexit 0\n', 0o644);
  fx.write(join(dir, '03.exit64.script'), '#!/bin/sh\nexit 64\n');
  fx.write(join(dir, '04.exit77.script'), '#!/bin/sh\nexit 77\n');
  fx.write(join(dir, '05.noshebang.script'), 'exit 0\n');
  fx.write(join(dir, '06.exit126.script'), '#!/bin/sh\nexit 126\n');
  fx.write(join(dir, 'README'), 'junk');
  fx.write(join(dir, '07.x.script~'), '#!/bin/sh\nexit 1\n');
  mkdirSync(join(dir, 'sub'));
  const fail = join(fx.base, 'events', 'failing');
  mkdirSync(fail);
  fx.write(join(fail, '01.first.script'), '#!/bin/sh\necho line one\necho line two >&2\nexit 7\n');
  fx.write(join(fail, '02.second.script'), '#!/bin/sh\nexit 0\n');
  fx.write(join(fail, '03.killed.script'), '#!/bin/sh\nkill -9 $$\n');
  const broken = join(fx.base, 'events', 'broken');
  mkdirSync(broken);
  symlinkSync('/nonexistent', join(broken, '01.dangling.script'));
  fx.write(join(broken, '02.badinterp.script'), '#!/nonexistent/interp\n');
}

const COMMANDS: string[][] = [
  ['run', '10', 'mix', 'monitor'],
  ['status', 'mix', 'monitor'],
  ['run', '10', 'mix', 'takeip', 'eth0', '10.1.1.1', '24'],
  ['status', 'mix', 'takeip'],
  ['status', 'mix', 'startup'],
  ['run', '10', 'failing', 'startup'],
  ['status', 'failing', 'startup'],
  ['run', '10', 'broken', 'monitor'],
  ['status', 'broken', 'monitor'],
  ['run', '10', 'nosuch', 'monitor'],
  ['status', 'nosuch', 'monitor'],
  ['script', 'list', 'mix'],
  ['script', 'enable', 'mix', '02.off'],
  ['script', 'enable', 'mix', 'README'],
  ['script', 'disable', 'mix', '99.none'],
  ['run', '10', 'mix', 'monitor'],
  ['status', 'mix', 'monitor'],
];

async function session(debian: boolean, runAll: boolean): Promise<string[]> {
  const fx = makeFixture();
  populate(fx);
  const env = runAll ? { ...fx.env, CTDB_EVENT_RUN_ALL: '1' } : fx.env;
  const daemon = await startDaemon(fx, { debian });
  const out: string[] = [];
  try {
    for (const c of COMMANDS) {
      const r = await debianTool({ ...fx, env }, ...c);
      out.push(`$ ${c.join(' ')} → ${r.code}\n${normaliseStatus(r.stdout)}${r.stderr}`);
    }
  } finally {
    await daemon.stop();
    fx.cleanup();
  }
  return out;
}

describe('ours and Debian ctdb-eventd on the same fixture', { skip }, () => {
  test('same output and exit codes for every command', async () => {
    const real = await session(true, false);
    const mine = await session(false, false);
    assert.deepEqual(mine, real);
  });

  test('same with CTDB_EVENT_RUN_ALL', async () => {
    const real = await session(true, true);
    const mine = await session(false, true);
    assert.deepEqual(mine, real);
  });
});

describe("our ctdb-event tool next to Debian's", { skip }, () => {
  test('usage, argument errors and connection failure print the same', async () => {
    const fx = makeFixture();
    try {
      for (const args of [
        [],
        ['run'],
        ['run', '1', 'legacy'],
        ['status', 'legacy'],
        ['script'],
        ['script', 'list'],
        ['script', 'enable', 'legacy'],
        ['script', 'disable', 'x'],
        ['bogus'],
        ['run', '-1', 'legacy', 'monitor'],
        ['status', 'legacy', 'monitor'],
        ['run', '5', 'legacy', 'monitor'],
        ['script', 'list', 'legacy'],
        ['script', 'list', 'nothere'],
      ]) {
        const d = await debianTool(fx, ...args);
        const o = await inProcess(fx, args);
        assert.deepEqual(
          { code: o.code, stdout: o.stdout, stderr: o.stderr },
          { code: d.code, stdout: d.stdout, stderr: d.stderr },
          `ctdb-event ${args.join(' ')}`,
        );
      }
      // And the command itself, once, as a process.
      const d = await debianTool(fx, 'run', '1', 'legacy');
      const o = await ourTool(fx, 'run', '1', 'legacy');
      assert.deepEqual(o, d);
    } finally {
      fx.cleanup();
    }
  });
});

/** Our tool's code in this process (tools/ctdb-event.ts is a thin wrapper around it). */
async function inProcess(
  fx: Fixture,
  args: string[],
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
