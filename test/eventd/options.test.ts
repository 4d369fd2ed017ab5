import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  integer,
  loadOptions,
  OptionsFileError,
  parseShellAssignments,
  parseThresholds,
  string,
  thresholds,
  yesNo,
} from '../../lib/options/index.js';

test('shell assignments: quotes, export, comments, expansion', () => {
  const text = [
    '# a comment',
    '',
    'A=plain',
    "export B='single $A'",
    'C="double $A ${B} \\"q\\""  # trailing comment',
    '  D=',
    'E=x"y"z',
  ].join('\n');
  const got = parseShellAssignments(text, 'f');
  assert.deepEqual(
    got.map((a) => [a.name, a.value, a.line]),
    [
      ['A', 'plain', 3],
      ['B', 'single $A', 4],
      ['C', 'double plain single $A "q"', 5],
      ['D', '', 6],
      ['E', 'xyz', 7],
    ],
  );
});

test('a malformed line is an error naming the file and line', () => {
  for (const [text, line] of [
    ['A=1\nB=two words', 2],
    ["A=1\n\nB='open", 3],
    ['this is not an assignment', 1],
    ['A=1\nB=$(date)', 2],
  ] as const) {
    assert.throws(
      () => parseShellAssignments(text, '/etc/ctdb/events/legacy/10.x.options'),
      (err: unknown) =>
        err instanceof OptionsFileError &&
        err.line === line &&
        err.message.startsWith(`/etc/ctdb/events/legacy/10.x.options:${line}: `),
    );
  }
});

test('option kinds parse and reject', () => {
  assert.equal(yesNo(false, '').parse('YES'), true);
  assert.equal(yesNo(true, '').parse('off'), false);
  assert.throws(() => yesNo(true, '').parse('maybe'), /expected yes or no/);
  assert.equal(integer(1, '', { min: 0 }).parse('42'), 42);
  assert.throws(() => integer(1, '', { min: 0 }).parse('-1'), /below the minimum/);
  assert.throws(() => integer(1, '').parse('4x'), /expected an integer/);
  assert.deepEqual(parseThresholds('70:80'), { warn: 70, error: 80 });
  assert.deepEqual(parseThresholds(':90'), { warn: undefined, error: 90 });
  assert.deepEqual(parseThresholds('95'), { warn: undefined, error: 95 });
  assert.throws(() => parseThresholds('90:80'), /above error threshold/);
  assert.equal(string('d', '').parse('v'), 'v');
});

test('script.options then NN.name.options, declared options only, defaults otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opts-'));
  try {
    writeFileSync(join(dir, 'script.options'), 'CTDB_X=1\nCTDB_Y=from-base\n');
    writeFileSync(join(dir, '10.t.options'), 'CTDB_X=2\nCTDB_LIMITS="60:70"\n');
    const specs = {
      CTDB_X: integer(0, 'x'),
      CTDB_Y: string('dflt', 'y'),
      CTDB_Z: yesNo(true, 'z'),
      CTDB_LIMITS: thresholds({ warn: undefined, error: undefined }, 'l'),
    };
    const v = loadOptions(specs, { ctdbBase: dir, scriptDir: dir, scriptName: '10.t', env: {} });
    assert.deepEqual(v, {
      CTDB_X: 2,
      CTDB_Y: 'from-base',
      CTDB_Z: true,
      CTDB_LIMITS: { warn: 60, error: 70 },
    });
    writeFileSync(join(dir, '10.t.options'), 'CTDB_X=2\nCTDB_X=lots\n');
    assert.throws(
      () => loadOptions(specs, { ctdbBase: dir, scriptDir: dir, scriptName: '10.t', env: {} }),
      (err: unknown) =>
        err instanceof OptionsFileError &&
        err.message === `${join(dir, '10.t.options')}:2: CTDB_X: expected an integer, got 'lots'`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
