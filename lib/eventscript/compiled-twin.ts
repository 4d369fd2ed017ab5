// The build (tsc, tsconfig.build.json) compiles the package's TypeScript sources, the shipped
// eventscripts included, to dist/ with the same layout: events/legacy/10.interface.ts becomes
// dist/events/legacy/10.interface.js. Importing that JavaScript needs no TypeScript loader (no
// module-hooks thread, no tsx, no esbuild), which is most of an eventscript worker's memory.
import { statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** The package root, whether this module runs from the sources or from dist/. */
export const PACKAGE_ROOT = basename(HERE) === 'dist' ? dirname(HERE) : HERE;

/** True when this module is the compiled JavaScript (the built package), not the source. */
export const RUNNING_BUILT = import.meta.url.endsWith('.js');

const SOURCE_FILE = /\.(?:ts|js)$/;

/**
 * Where the build puts the JavaScript of a package source file (`.ts`, or the `.js` name a
 * TypeScript import uses), or undefined for anything outside the package's own sources.
 */
export function twinPath(file: string): string | undefined {
  const rel = relative(PACKAGE_ROOT, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const top = rel.split(sep)[0];
  if (top === 'dist' || top === 'node_modules') return undefined;
  if (!SOURCE_FILE.test(rel) || rel.endsWith('.d.ts')) return undefined;
  return join(PACKAGE_ROOT, 'dist', rel.replace(SOURCE_FILE, '.js'));
}

/**
 * The compiled twin of `file` when it exists and is at least as new as `file` (a missing
 * `file` counts as older). A source edited after the build is never shadowed by stale output:
 * it is loaded through the TypeScript loader instead.
 */
export function freshTwin(file: string): string | undefined {
  const twin = twinPath(file);
  if (twin === undefined) return undefined;
  const compiled = statSync(twin, { throwIfNoEntry: false });
  if (compiled?.isFile() !== true) return undefined;
  const source = statSync(file, { throwIfNoEntry: false });
  if (source !== undefined && source.mtimeMs > compiled.mtimeMs) return undefined;
  return twin;
}

/** True when Node imports `file` as it is, with no TypeScript loader registered. */
export function isPlainJavaScript(file: string): boolean {
  return file.endsWith('.js') || file.endsWith('.mjs');
}
