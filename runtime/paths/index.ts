// Where CTDB's files live. Outside test mode these are Debian's defaults; with CTDB_TEST_MODE
// set everything moves under $CTDB_BASE (etc = base, run = base/run, var = base/var, share =
// base/share), as in CTDB, so several nodes can run on one host.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface CtdbPaths {
  readonly testMode: boolean;
  readonly etcDir: string;
  readonly runDir: string;
  readonly varDir: string;
  readonly dataDir: string;
}

export class PathSetupError extends Error {
  override name = 'PathSetupError';
}

export function ctdbPaths(env: NodeJS.ProcessEnv = process.env): CtdbPaths {
  if (env.CTDB_TEST_MODE === undefined) {
    return {
      testMode: false,
      etcDir: '/etc/ctdb',
      runDir: '/run/ctdb',
      varDir: '/var/lib/ctdb',
      dataDir: '/usr/share/ctdb',
    };
  }
  const base = env.CTDB_BASE;
  if (base === undefined || base === '')
    throw new PathSetupError('Broken CTDB setup, CTDB_BASE not set in test mode');
  return {
    testMode: true,
    etcDir: base,
    runDir: join(base, 'run'),
    varDir: join(base, 'var'),
    dataDir: join(base, 'share'),
  };
}

/** The Unix socket of a daemon (`ctdbd` → `ctdbd.socket`); CTDB_SOCKET overrides ctdbd's. */
export function socketPath(daemon: string, env: NodeJS.ProcessEnv = process.env): string {
  if (daemon === 'ctdbd' && env.CTDB_SOCKET !== undefined && env.CTDB_SOCKET !== '')
    return env.CTDB_SOCKET;
  return join(ctdbPaths(env).runDir, `${daemon}.socket`);
}

export function pidFilePath(daemon: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(ctdbPaths(env).runDir, `${daemon}.pid`);
}

/** The project root (the folder holding package.json), from source or from dist/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new PathSetupError('cannot find the project root');
}

/** True when this module runs from the compiled dist/ tree rather than from source. */
export function runningFromDist(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.js');
}

/**
 * The tools that also exist as small C programs (lib/native/*.c, built by `npm ci` into
 * build/Release/<name>): they run for long (a lock helper, for as long as its node leads) or
 * often, and a C program costs a fraction of a Node process's memory and start-up time.
 */
const NATIVE_TOOLS: ReadonlySet<string> = new Set([
  'ctdb_mutex_fcntl_helper',
  'ctdb_fork_server',
  // The front end: commands the local ctdbd can serve run there; it runs the bundle for the rest.
  'ctdb',
]);

/** The built C program for a tool, if it has one and it is there and executable. */
export function nativeProgram(tool: string): string | undefined {
  if (!NATIVE_TOOLS.has(tool)) return undefined;
  const root = projectRoot();
  // The front end falls back to the bundle, so it is only usable when the bundle is built too.
  if (tool === 'ctdb' && !existsSync(join(root, 'dist', 'ctdb', 'ctdb.cjs'))) return undefined;
  const path = join(root, 'build', 'Release', tool);
  try {
    if (!statSync(path).isFile()) return undefined;
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined; // not built: the Node version serves
  }
}

/**
 * The argv that starts one of our helper commands (`ctdb-eventd` → tools/ctdb-eventd.ts):
 * its C program when it has one (nativeProgram), else `node dist/tools/X.js` when built, else
 * `node --import tsx tools/X.ts`.
 */
export function helperCommand(tool: string): string[] {
  const native = nativeProgram(tool);
  if (native !== undefined) return [native];
  const root = projectRoot();
  const file = tool.replace(/^ctdb-local-cluster$/, 'local-cluster');
  if (runningFromDist()) {
    // The ctdb tool starts fastest from its single-file bundle (scripts/build-ctdb.mjs).
    const bundle = join(root, 'dist', 'ctdb', 'ctdb.cjs');
    if (tool === 'ctdb' && existsSync(bundle)) return [process.execPath, bundle];
    return [process.execPath, join(root, 'dist', 'tools', `${file}.js`)];
  }
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return [process.execPath, '--import', tsx, resolve(root, 'tools', `${file}.ts`)];
}
