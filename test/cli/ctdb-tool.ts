// How the CLI tests run our `ctdb`: by default the start-up bundle the package installs
// (scripts/build-ctdb.mjs, built once per test process into a temporary folder from the current
// sources), or the TypeScript source through tsx with CTDB_TEST_TOOL=source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const projectDir = join(import.meta.dirname, '../..');

let bundleDir: string | undefined;

/** Builds the bundle into a fresh temporary folder (removed when the process exits). */
export function buildBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctdb-bundle-'));
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const r = spawnSync(
    process.execPath,
    [join(projectDir, 'scripts/build-ctdb.mjs'), '--outdir', dir],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`build-ctdb failed (${r.status}):\n${r.stderr}`);
  return dir;
}

/** argv of our `ctdb` from source, through tsx. */
export function sourceCtdb(): string[] {
  return [process.execPath, '--import', 'tsx', join(projectDir, 'tools/ctdb.ts')];
}

/** argv of our `ctdb` as the tests run it (see the header). */
export function ourCtdb(): string[] {
  if (process.env.CTDB_TEST_TOOL === 'source') return sourceCtdb();
  bundleDir ??= buildBundle();
  return [process.execPath, join(bundleDir, 'ctdb.cjs')];
}

let frontRoot: string | undefined;

/**
 * A package tree for the C front end: the bundle in <root>/dist/ctdb/ and the front end
 * compiled from lib/native/ctdb_front.c to <root>/build/Release/ctdb, where it looks for the
 * bundle when it falls back. Built once per test process from the current sources.
 */
export function frontEndTree(): { root: string; ctdb: string; bundle: string } {
  if (frontRoot === undefined) {
    const root = mkdtempSync(join(tmpdir(), 'ctdb-front-'));
    process.once('exit', () => {
      rmSync(root, { recursive: true, force: true });
    });
    const b = spawnSync(
      process.execPath,
      [join(projectDir, 'scripts/build-ctdb.mjs'), '--outdir', join(root, 'dist', 'ctdb')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (b.status !== 0) throw new Error(`build-ctdb failed (${b.status}):\n${b.stderr}`);
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    const c = spawnSync(
      'cc',
      [
        '-std=c11',
        '-O2',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-o',
        join(root, 'build', 'Release', 'ctdb'),
        join(projectDir, 'lib/native/ctdb_front.c'),
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (c.status !== 0) throw new Error(`cc ctdb_front.c failed (${c.status}):\n${c.stderr}`);
    frontRoot = root;
  }
  return {
    root: frontRoot,
    ctdb: join(frontRoot, 'build', 'Release', 'ctdb'),
    bundle: join(frontRoot, 'dist', 'ctdb', 'ctdb.cjs'),
  };
}
