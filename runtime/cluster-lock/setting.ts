// The `[cluster] cluster lock` setting: a file (locked by our fcntl helper) or `!` followed by
// a helper command. The command is split on spaces and tabs with no shell quoting, as CTDB does.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { ClusterLockSettingError } from './errors.js';
import { nativeProgram } from '../paths/index.js';
import { packageRoot } from './native.js';

export type ClusterLockSetting =
  { kind: 'file'; file: string } | { kind: 'command'; argv: readonly string[] };

export function parseClusterLockSetting(value: string): ClusterLockSetting {
  if (value.startsWith('!')) {
    const argv = value
      .slice(1)
      .split(/[ \t]+/)
      .filter((w) => w !== '');
    if (argv.length === 0) throw new ClusterLockSettingError(value, 'the helper command is empty');
    return { kind: 'command', argv };
  }
  if (value.trim() === '') throw new ClusterLockSettingError(value, 'no lock file given');
  return { kind: 'file', file: value };
}

/** The helpers this package ships, by their installed names. */
export type OurHelper = 'ctdb_mutex_fcntl_helper' | 'ctdb_etcd_lock';

/**
 * The command that runs the JavaScript/TypeScript version of one of our helpers: the built
 * JavaScript when running from dist/, else the TypeScript source through tsx (one process:
 * no wrapper that would stand between the helper and its parent).
 */
export function scriptHelperCommand(helper: OurHelper): string[] {
  const root = packageRoot();
  const built = join(root, 'dist', 'tools', `${helper}.js`);
  const runningBuilt = import.meta.url.endsWith('.js');
  if (runningBuilt && existsSync(built)) return [process.execPath, built];
  const tsx = createRequire(join(root, 'package.json')).resolve('tsx');
  return [
    process.execPath,
    '--import',
    pathToFileURL(tsx).href,
    join(root, 'tools', `${helper}.ts`),
  ];
}

/** The command that runs one of our helpers: the C program when built, else the script. */
export function ourHelperCommand(helper: OurHelper): string[] {
  const native = nativeProgram(helper);
  return native !== undefined ? [native] : scriptHelperCommand(helper);
}

/**
 * The argv to run for a setting. A file runs the fcntl helper with just the file (so the
 * recheck is its default, 5 s): `CTDB_CLUSTER_MUTEX_HELPER` names another helper, as in CTDB.
 */
export function helperArgv(
  setting: ClusterLockSetting,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (setting.kind === 'command') return [...setting.argv];
  const override = env.CTDB_CLUSTER_MUTEX_HELPER;
  const helper =
    override !== undefined && override !== ''
      ? [override]
      : ourHelperCommand('ctdb_mutex_fcntl_helper');
  return [...helper, setting.file];
}
