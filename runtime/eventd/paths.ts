// Where the event daemon and its tools find things, by CTDB's rules (ctdb/common/path.c):
// production uses the fixed directories; with CTDB_TEST_MODE set everything hangs off
// $CTDB_BASE (etc = $CTDB_BASE, rundir = $CTDB_BASE/run, datadir = $CTDB_BASE/share), which is
// how several daemons share one host. Our production datadir is the package itself: its
// `events/<component>/` folders hold the shipped scripts.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EventdPaths {
  /** `/etc/ctdb`: holds ctdb.conf, script.options and `events/<component>/`. */
  readonly etcDir: string;
  /** `/run/ctdb`: the socket and pidfile. */
  readonly runDir: string;
  /** Where shipped scripts live: `<dataDir>/events/<component>/`. */
  readonly dataDir: string;
}

/** The package root: the nearest folder above this module holding package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return dirname(dirname(dirname(fileURLToPath(import.meta.url))));
}

export function eventdPaths(env: NodeJS.ProcessEnv = process.env): EventdPaths {
  if (env.CTDB_TEST_MODE !== undefined) {
    const base = env.CTDB_BASE ?? '/etc/ctdb';
    return { etcDir: base, runDir: join(base, 'run'), dataDir: join(base, 'share') };
  }
  return { etcDir: '/etc/ctdb', runDir: '/run/ctdb', dataDir: packageRoot() };
}

export function socketPath(paths: EventdPaths): string {
  return join(paths.runDir, 'eventd.socket');
}

export function pidfilePath(paths: EventdPaths): string {
  return join(paths.runDir, 'eventd.pid');
}

export function componentEtcDir(paths: EventdPaths, component: string): string {
  return join(paths.etcDir, 'events', component);
}

export function componentDataDir(paths: EventdPaths, component: string): string {
  return join(paths.dataDir, 'events', component);
}
