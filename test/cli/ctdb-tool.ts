// How the CLI tests run our `ctdb`: by default the start-up bundle the package installs
// (scripts/build-ctdb.mjs, built once per test process into a temporary folder from the current
// sources), or the TypeScript source through tsx with CTDB_TEST_TOOL=source.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
