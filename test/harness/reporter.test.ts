// The summary reporter behind `npm test`: every case is counted once, skipped ones with their
// reason (a skipped suite too, whose tests never run), and failures are listed at the end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const REPORTER = resolve(import.meta.dirname, '..', 'support', 'summary-reporter.mjs');

test('passes, failures, skipped tests and skipped suites are each counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reporter-'));
  try {
    const file = join(dir, 'sample.test.mjs');
    writeFileSync(
      file,
      `import { describe, test } from 'node:test';
describe('needs a kernel feature', { skip: 'no such feature here' }, () => {
  test('a', () => {});
  test('b', () => {});
});
describe('plain', () => {
  test('passes', () => {});
  test('fails', () => { throw new Error('boom'); });
  test('skipped', { skip: 'not today' }, () => {});
});
`,
    );
    // A runner started inside a test would report to this one unless told otherwise.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--test', `--test-reporter=${REPORTER}`, file], {
      encoding: 'utf8',
      timeout: 60_000,
      env,
    });
    assert.match(r.stdout, /SKIP .* needs a kernel feature — no such feature here/);
    assert.match(r.stdout, /SKIP .* skipped — not today/);
    assert.match(r.stdout, /FAIL .* fails/);
    assert.match(r.stdout, /boom/);
    assert.match(r.stdout, /summary: 1 passed, 1 failed, 2 skipped\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
