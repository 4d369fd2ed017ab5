#!/usr/bin/env node
// `ctdb_takeover_tests ipalloc STATES [multi]`: runs the IP allocator on a layout read from
// stdin, with the contract of CTDB's test program. All logic lives in
// runtime/takeover/ipalloc/test-driver.ts.
import { readFileSync } from 'node:fs';
import { runTakeoverTests } from '../runtime/takeover/ipalloc/test-driver.js';

let stdin = '';
try {
  stdin = readFileSync(0, 'utf8');
} catch (err) {
  // No stdin at all (closed descriptor) reads as empty input, as fgets() would see it.
  if (
    (err as NodeJS.ErrnoException).code !== 'EAGAIN' &&
    (err as NodeJS.ErrnoException).code !== 'EBADF'
  ) {
    throw err;
  }
}
const out = runTakeoverTests(process.argv.slice(2), process.env, stdin);
// Log lines first, as CTDB's unbuffered stderr puts them ahead of its buffered stdout.
process.stderr.write(out.stderr);
process.stdout.write(out.stdout);
process.exitCode = out.status;
