// `ctdb_takeover_tests ipalloc STATES [multi]`: the stdin format, the environment variables,
// multi mode, and clear errors for bad input; then the real executable as a process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { runTakeoverTests } from '../../runtime/takeover/ipalloc/test-driver.js';

const ERR = { CTDB_TEST_LOGLEVEL: 'ERR' };

function ok(args: string[], stdin: string, env: Record<string, string> = ERR): string {
  const r = runTakeoverTests(args, env, stdin);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function fails(
  args: string[],
  stdin: string,
  message: string,
  env: Record<string, string> = ERR,
): void {
  const r = runTakeoverTests(args, env, stdin);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, message);
}

test('usage errors', () => {
  const usage = 'usage: ctdb_takeover_tests <op>\n';
  fails([], '', usage);
  fails(['ipalloc'], '', usage);
  fails(['frobnicate', '0'], '', usage);
  fails(['ipalloc', '0', 'single'], '', usage);
  fails(['ipalloc', '0', 'multi', 'x'], '', usage);
});

test('node states: decimal, hex and octal flags; bad values are errors', () => {
  // 0x20 (STOPPED) and 010 (octal 8, BANNED) cannot host; 2 is UNHEALTHY.
  assert.equal(ok(['ipalloc', '0x20,010,0'], '10.0.0.1 0\n'), '10.0.0.1 2\n');
  fails(['ipalloc', '0,,0'], '', 'ctdb_takeover_tests: node states: empty value for node 1\n');
  fails(['ipalloc', '0,zz'], '', "ctdb_takeover_tests: node states: 'zz' is not a number\n");
});

test('environment: algorithm, runstates, NoIPTakeover, log level', () => {
  fails(['ipalloc', '0'], '', 'ERROR: unknown IP algorithm best\n', { CTDB_IP_ALGORITHM: 'best' });
  fails(
    ['ipalloc', '0,0'],
    '',
    'ctdb_takeover_tests: CTDB_TEST_RUNSTATE: wrong number of values (3, expected 2)\n',
    { CTDB_TEST_RUNSTATE: '5,5,5' },
  );
  // "1" sets every node's runstate to 1 (INIT): nobody can host.
  assert.equal(
    ok(['ipalloc', '0,0'], '10.0.0.1 -1\n', { ...ERR, CTDB_TEST_RUNSTATE: '1' }),
    '10.0.0.1 -1\n',
  );
  assert.equal(
    ok(['ipalloc', '0,0'], '10.0.0.1 -1\n', { ...ERR, CTDB_SET_NoIPTakeover: '1' }),
    '10.0.0.1 -1\n',
  );
  fails(
    ['ipalloc', '0'],
    '',
    "ctdb_takeover_tests: CTDB_TEST_LOGLEVEL: unknown debug level 'LOUD'\n",
    {
      CTDB_TEST_LOGLEVEL: 'LOUD',
    },
  );
  // Unset means DEBUG; names may be abbreviated, numbers are levels.
  const debug = runTakeoverTests(['ipalloc', '2'], {}, '10.0.0.1 0\n');
  assert.match(debug.stderr, /^Unassign IP: 10\.0\.0\.1 from 0\n/);
  const notice = runTakeoverTests(['ipalloc', '2'], { CTDB_TEST_LOGLEVEL: 'NOT' }, '10.0.0.1 0\n');
  assert.equal(notice.stderr, 'Failed to find node to cover ip 10.0.0.1\n');
  const numeric = runTakeoverTests(['ipalloc', '2'], { CTDB_TEST_LOGLEVEL: '0' }, '10.0.0.1 0\n');
  assert.equal(numeric.stderr, '');
});

test('stdin: a missing PNN means unassigned; trailing empty lines are fine', () => {
  assert.equal(ok(['ipalloc', '0'], '10.0.0.1\n\n\n'), '10.0.0.1 0\n');
  assert.equal(ok(['ipalloc', '0'], ''), '');
  assert.equal(ok(['ipalloc', '0'], '10.0.0.1 0'), '10.0.0.1 0\n'); // no final newline
  assert.equal(ok(['ipalloc', '0,0'], '10.0.0.1\t-1\t1\n'), '10.0.0.1 1\n'); // tabs separate too
});

test('stdin: bad lines are errors naming the line', () => {
  const fail = (stdin: string, message: string, args = ['ipalloc', '0,0']): void => {
    fails(args, stdin, `ctdb_takeover_tests: ${message}\n`);
  };
  fail('10.0.0.1 0\n10.0.0.x 1\n', "stdin line 2: bad address '10.0.0.x'");
  fail('10.0.0.1 zero\n', "stdin line 1: bad current PNN 'zero' (a node number or -1)");
  fail('10.0.0.1 0 0,5\n', "stdin line 1: bad allowed node '5' (there are 2 nodes)");
  fail(
    '10.0.0.1 0 0 extra\n',
    'stdin line 1: too many fields (4), expected "IP CURRENT_PNN [ALLOWED,PNN,LIST]"',
  );
  fail('10.0.0.1 0\n   \n', 'stdin line 2: blank line with spaces (a separator must be empty)');
  fail(
    '10.0.0.1 0\n\n10.0.0.2 0\n',
    'stdin line 3: data after the empty line that ends the input (one block per node needs "multi")',
  );
  fail('10.0.0.1 0 1\n', 'stdin line 1: allowed-node lists are not accepted in multi mode', [
    'ipalloc',
    '0,0',
    'multi',
  ]);
  fail('10.0.0.1 0\n\n10.0.0.1 0\n\n10.0.0.1 0\n', 'stdin line 5: more blocks than nodes (2)', [
    'ipalloc',
    '0,0',
    'multi',
  ]);
});

test('multi: each node reports its own view; only self-claims count', () => {
  // Node 0 says .2 is its own and .1 is node 1's; node 1 says both belong to node 0 and does
  // not know .3. So only .2 starts placed (on 0). .1 goes to node 1 at cost 0; .3, known only
  // to node 0, joins it (16129 = d(.3,.2)^2). Node 1 held nothing, so it is a failback
  // candidate: .2 costs node 0 16129 but node 1 only 15876 (d(.2,.1)^2), so it moves.
  const stdin = '10.0.0.3 -1\n10.0.0.2 0\n10.0.0.1 1\n\n10.0.0.2 0\n10.0.0.1 0\n';
  const r = runTakeoverTests(['ipalloc', '0,0', 'multi'], { CTDB_TEST_LOGLEVEL: 'INFO' }, stdin);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '10.0.0.3 0\n10.0.0.2 1\n10.0.0.1 1\n');
  assert.equal(
    r.stderr,
    ' 10.0.0.1 -> 1 [+0]\n 10.0.0.3 -> 0 [+16129]\n0 [-16129] -> 10.0.0.2 -> 1 [+15876]\n',
  );
  // Fewer blocks than nodes: the rest know nothing. Node 1 then cannot take .1.
  assert.equal(ok(['ipalloc', '0,0', 'multi'], '10.0.0.1 1\n'), '10.0.0.1 0\n');
});

const root = resolve(import.meta.dirname, '../..');
const tool = (args: string[], input: string, env: Record<string, string> = {}) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve(root, 'tools/ctdb_takeover_tests.ts'), ...args],
    {
      input,
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    },
  );

test('the executable: log lines then allocation, exit 0', () => {
  const r = tool(['ipalloc', '0,2,0'], '10.0.0.1 1\n10.0.0.2 1\n', {
    CTDB_IP_ALGORITHM: 'nondet',
    CTDB_TEST_LOGLEVEL: 'DEBUG',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'Unassign IP: 10.0.0.2 from 1\nUnassign IP: 10.0.0.1 from 1\n');
  assert.equal(r.stdout, '10.0.0.2 0\n10.0.0.1 2\n');
});

test('the executable: bad input exits 1 with the line named', () => {
  const r = tool(['ipalloc', '0'], '10.0.0.1 0\n10.0.0.256 0\n');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "ctdb_takeover_tests: stdin line 2: bad address '10.0.0.256'\n");
});
