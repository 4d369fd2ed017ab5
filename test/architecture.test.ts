// Enforces the import direction written in the README: tools → runtime → lib, events → lib.
// Every relative import (static, re-export or dynamic) is resolved to the top-level folder it
// lands in and checked against the table below, so a wrong-way import fails the test command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { allowedImports, findImportViolations } from './support/architecture.js';

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

test('imports only run the allowed way (tools → runtime → lib, events → lib)', () => {
  const violations: string[] = [];
  for (const folder of Object.keys(allowedImports)) {
    const dir = join(root, folder);
    for (const file of sourceFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      for (const v of findImportViolations(root, file, text)) violations.push(v);
    }
  }
  assert.deepEqual(violations, []);
});

test('the checker catches a wrong-way import', () => {
  const file = join(root, 'lib', 'example.ts');
  const text =
    "import { x } from '../runtime/anything.js';\nconst y = await import('../tools/ctdb.js');\n";
  const found = findImportViolations(root, file, text);
  assert.equal(found.length, 2);
  assert.match(found[0] ?? '', /lib\/example\.ts imports runtime/);
});

test('the checker allows imports inside a folder and downwards', () => {
  const file = join(root, 'runtime', 'eventd', 'daemon.ts');
  const text =
    "import { a } from './protocol.js';\nimport { b } from '../../lib/options/parse.js';\nexport { c } from '../tunables/table.js';\n";
  assert.deepEqual(findImportViolations(root, file, text), []);
  // keep the helpers referenced so an unused import does not hide a broken path
  assert.equal(relative(root, dirname(file)).split(sep)[0], 'runtime');
});
