// Global option parsing as CTDB 4.17's popt setup does it, and the exit paths of main() that
// need no daemon (help, usage, unknown command, bad options, local-only commands).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { main, parseGlobalOptions, UsageError } from '../../runtime/cli/main.js';
import { parsePoptInt, smbStrtoul32 } from '../../runtime/cli/format/numbers.js';
import { COMMAND_HELP, commandUsage, fullUsage } from '../../runtime/cli/format/usage.js';

function run(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env).then((code) => ({
    code,
    out,
    err,
  }));
}

describe('option parsing', () => {
  test('options anywhere, clustered, attached or separate', () => {
    const r = parseGlobalOptions(['-Xn1', 'status', '-t', '3', '--separator=:', 'x'], {});
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.deepEqual(r.words, ['status', 'x']);
    assert.equal(r.options.node, '1');
    assert.equal(r.options.machine, true);
    assert.equal(r.options.timeout, 3);
    assert.equal(r.options.separator, ':');
    assert.equal(r.options.maxRuntime, 120);
  });

  test('-n -1 means "not given"; 0x and octal numbers; empty string is 0', () => {
    const get = (v: string): string | undefined => {
      const r = parseGlobalOptions(['-n', v, 'pnn'], {});
      return r.kind === 'run' ? r.options.node : 'none';
    };
    assert.equal(get('-1'), undefined);
    assert.equal(get('0x2'), '2');
    assert.equal(get('010'), '8');
    assert.equal(get(''), '0');
  });

  test('popt error texts', () => {
    const msg = (argv: string[]): string => {
      try {
        parseGlobalOptions(argv, {});
      } catch (err) {
        assert.ok(err instanceof UsageError);
        return err.message;
      }
      return 'no error';
    };
    assert.equal(msg(['-n', 'all', 'pnn']), 'Invalid option all: invalid numeric value');
    assert.equal(msg(['-nabc']), 'Invalid option -nabc: invalid numeric value');
    assert.equal(msg(['--node=abc']), 'Invalid option --node=abc: invalid numeric value');
    assert.equal(msg(['pnn', '--node']), 'Invalid option --node: missing argument');
    assert.equal(msg(['-Z']), 'Invalid option -Z: unknown option');
    assert.equal(msg(['setvar', 'X', '-1']), 'Invalid option -1: unknown option');
    assert.equal(
      msg(['-n', '99999999999']),
      'Invalid option 99999999999: number too large or too small',
    );
  });

  test('-- ends options; -T 0 falls back to CTDB_TIMEOUT', () => {
    const r = parseGlobalOptions(['ban', '--', '-5'], { CTDB_TIMEOUT: '7' });
    assert.ok(r.kind === 'run');
    assert.deepEqual(r.words, ['ban', '-5']);
    assert.equal(r.options.maxRuntime, 7);
  });

  test('number parsers', () => {
    assert.deepEqual(parsePoptInt('12'), { ok: true, value: 12 });
    assert.deepEqual(parsePoptInt('1x'), { ok: false, reason: 'invalid numeric value' });
    assert.deepEqual(smbStrtoul32('5x'), { ok: true, value: 5 });
    assert.deepEqual(smbStrtoul32('abc'), { ok: false, errno: 22 });
    assert.deepEqual(smbStrtoul32('-3'), { ok: false, errno: 22 });
    assert.deepEqual(smbStrtoul32('0x1e'), { ok: true, value: 30 });
  });
});

describe('main without a daemon', () => {
  test('no command: full help on stdout, exit 1', async () => {
    const r = await run([]);
    assert.equal(r.code, 1);
    assert.equal(r.out, fullUsage());
    assert.match(r.out, /^Usage: \[OPTION\.\.\.\]\n/);
    assert.equal(COMMAND_HELP.length, 77);
  });

  test('--help exits 0, --usage exits 0', async () => {
    assert.equal((await run(['--help', 'pnn'])).code, 0);
    const u = await run(['--usage']);
    assert.equal(u.code, 0);
    assert.match(u.out, /^Usage: \[-\?YXv\]/);
  });

  test('unknown command: one line on stderr, exit 1', async () => {
    assert.deepEqual(await run(['bogus']), { code: 1, out: '', err: "Unknown command 'bogus'\n" });
  });

  test('commands that run without a daemon refuse -n', async () => {
    assert.deepEqual(await run(['-n', '0', 'version']), {
      code: 1,
      out: '',
      err: 'Cannot specify node for command version\n',
    });
    const v = await run(['version']);
    assert.deepEqual(v, { code: 0, out: '4.17.12-Debian\n', err: '' });
  });

  test('a command usage message lists just that command', () => {
    assert.equal(
      commandUsage('getvar').split('\n').at(-2),
      '  getvar          <name>                       get a tunable variable',
    );
  });

  test('no daemon and no nodes file: CTDB connection failure text', async () => {
    const r = await run(['pnn'], { CTDB_SOCKET: '/nonexistent/sock', CTDB_BASE: '/nonexistent' });
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'connect() failed, errno=2\nFailed to connect to CTDB daemon (/nonexistent/sock)\n' +
        'Failed to read nodes file "/nonexistent/nodes"\nIs this node part of CTDB cluster?\n',
    );
  });
});
