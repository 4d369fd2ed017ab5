#!/usr/bin/env node
// Runs every unit and integration test (test/**/*.test.ts) through node:test with tsx,
// or only the files/folders given as arguments. Node 20 does not expand globs for --test,
// so the files are listed here. The summary reporter ends with one line of counts.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = resolve(import.meta.dirname, '..');

function collect(path, out) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'node_modules' || name === 'fixtures') continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
}

const targets = process.argv.slice(2);
const files = [];
for (const t of targets.length > 0 ? targets : [join(root, 'test')]) collect(resolve(t), files);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    `--test-reporter=${join(root, 'test/support/summary-reporter.mjs')}`,
    '--test-reporter-destination=stdout',
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, CTDB_TS_ROOT: root } },
);
process.exit(result.status ?? 1);
