// The import-direction rule of the project, as data, and a checker for one source file.
import { dirname, relative, resolve, sep } from 'node:path';

/** For each top-level source folder, the top-level folders its files may import from. */
export const allowedImports: Readonly<Record<string, readonly string[]>> = {
  lib: ['lib'],
  events: ['events', 'lib'],
  runtime: ['runtime', 'lib'],
  tools: ['tools', 'runtime', 'lib', 'events', 'test'],
};

const importPattern =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Returns one message per import in `text` (the contents of `file`) that runs the wrong way. */
export function findImportViolations(root: string, file: string, text: string): string[] {
  const from = relative(root, file).split(sep)[0] ?? '';
  const allowed = allowedImports[from];
  if (allowed === undefined) return [];
  const out: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(file), spec)).split(sep)[0] ?? '';
    if (!allowed.includes(target)) {
      out.push(
        `${relative(root, file)} imports ${target} (${spec}); ${from} may import only ${allowed.join(', ')}`,
      );
    }
  }
  return out;
}
