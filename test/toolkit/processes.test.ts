// Process-facing helpers: zx's `$` bound to a hook's signal and logger, the `ctdb` CLI
// wrappers against a stand-in `ctdb` (state in files; no daemon can be started here on
// demand), and CTDB's choice of service tool.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundShell } from '../../lib/shell/index.js';
import { CommandError, CtdbOutputError } from '../../lib/errors/index.js';
import {
  ctdbCheckTcpPort,
  ctdbGetTickles,
  ctdbIfaces,
  ctdbIps,
  ctdbPnn,
  ctdbUpdateTickles,
} from '../../lib/ctdb/index.js';
import { serviceCommand } from '../../lib/services/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2b-proc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('boundShell', () => {
  test('runs a command, logs it at debug, and returns its output', async () => {
    const logged: unknown[] = [];
    const sh = boundShell({
      signal: new AbortController().signal,
      log: { debug: (obj: unknown) => void logged.push(obj) } as never,
    });
    const word = 'hello world';
    const out = await sh`echo ${word}`;
    assert.equal(out.stdout, 'hello world\n');
    assert.equal(logged.length, 1);
  });

  test('a failing command is a CommandError with its exit code and stderr', async () => {
    const sh = boundShell({
      signal: new AbortController().signal,
      log: { debug: () => undefined } as never,
    });
    await assert.rejects(sh`sh -c ${'echo bad >&2; exit 4'}`, (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.exitCode, 4);
      assert.equal(err.stderr, 'bad\n');
      return true;
    });
  });

  test("the hook's signal kills the command", async () => {
    const ac = new AbortController();
    const sh = boundShell({ signal: ac.signal, log: { debug: () => undefined } as never });
    const t0 = Date.now();
    const p = sh`sleep 20`;
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p);
    assert.ok(Date.now() - t0 < 5000, 'killed long before sleep ended');
  });
});

describe('ctdb command wrappers', () => {
  let env: Record<string, string>;
  before(() => {
    // Stand-in for the daemon: canned -X output, stdin and arguments recorded.
    const fake = join(dir, 'ctdb');
    writeFileSync(
      fake,
      `#!/bin/sh
echo "$*" >>"${dir}/calls"
case "$*" in
pnn) echo 2 ;;
"-X ip") printf '|Public IP|Node|\\n|10.0.0.1|2|\\n|10.0.0.2|-1|\\n' ;;
"-X ifaces") printf '|Name|LinkStatus|References|\\n|eth1|1|2|\\n|eth2|0|0|\\n' ;;
"-X gettickles 10.0.0.1") printf '|source ip|port|destination ip|port|\\n|10.0.0.9|40000|10.0.0.1|445|\\n' ;;
addtickle) cat >>"${dir}/stdin" ;;
"checktcpport 445") exit 98 ;;
"checktcpport 446") exit 0 ;;
*) exit 7 ;;
esac
`,
    );
    chmodSync(fake, 0o755);
    mkdirSync(join(dir, 'vardir'));
    env = { CTDB: fake, CTDB_SCRIPT_VARDIR: join(dir, 'vardir') };
  });

  test('pnn is asked once and cached in my-pnn', async () => {
    assert.equal(await ctdbPnn({ env }), 2);
    assert.equal(await ctdbPnn({ env }), 2);
    assert.equal(readFileSync(join(dir, 'vardir/my-pnn'), 'utf8'), '2\n');
    assert.equal(
      readFileSync(join(dir, 'calls'), 'utf8')
        .split('\n')
        .filter((l) => l === 'pnn').length,
      1,
    );
  });

  test('-X output is parsed into typed rows', async () => {
    assert.deepEqual(await ctdbIps({ env }), [
      { ip: '10.0.0.1', pnn: 2 },
      { ip: '10.0.0.2', pnn: -1 },
    ]);
    assert.deepEqual(await ctdbIfaces({ env }), [
      { name: 'eth1', linkUp: true, references: 2 },
      { name: 'eth2', linkUp: false, references: 0 },
    ]);
    assert.deepEqual(await ctdbGetTickles('10.0.0.1', { env }), [
      { src: '10.0.0.9:40000', dst: '10.0.0.1:445' },
    ]);
  });

  test('tickle updates go to ctdb on stdin, one "SRC DST" per line', async () => {
    await ctdbUpdateTickles('addtickle', [{ src: '10.0.0.9:40001', dst: '10.0.0.1:445' }], { env });
    assert.equal(readFileSync(join(dir, 'stdin'), 'utf8'), '10.0.0.9:40001 10.0.0.1:445\n');
  });

  test('checktcpport: 98 means listening, 0 free, anything else an error', async () => {
    assert.equal(await ctdbCheckTcpPort(445, { env }), true);
    assert.equal(await ctdbCheckTcpPort(446, { env }), false);
    await assert.rejects(ctdbCheckTcpPort(447, { env }), CtdbOutputError);
  });
});

test("service picks CTDB's tool order and falls back to the init script", async () => {
  const argv = await serviceCommand('smbd', 'restart', { sysEtcDir: dir, nice: true });
  assert.ok(argv !== undefined);
  assert.equal(argv[0], 'nice');
  // Whatever this machine has first among service / systemctl, the operation is the same.
  if (argv[1]!.endsWith('systemctl')) assert.deepEqual(argv.slice(2), ['restart', 'smbd']);
  else if (argv[1]!.endsWith('service')) assert.deepEqual(argv.slice(2), ['smbd', 'restart']);
  else assert.deepEqual(argv.slice(1), [join(dir, 'init.d/smbd'), 'restart']);
});
