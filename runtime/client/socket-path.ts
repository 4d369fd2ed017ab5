// Where ctdbd's Unix socket is, by CTDB's rules: $CTDB_SOCKET if set; otherwise
// <rundir>/ctdbd.socket, where rundir is $CTDB_BASE/run in test mode ($CTDB_TEST_MODE set)
// and /run/ctdb otherwise.
import { ClientError, Errno } from './errors.js';

export const DEFAULT_RUNDIR = '/run/ctdb';
export const DEFAULT_ETCDIR = '/etc/ctdb';

export function ctdbdSocketPath(env: NodeJS.ProcessEnv): string {
  const explicit = env.CTDB_SOCKET;
  if (explicit !== undefined) return explicit;
  return `${runDir(env)}/ctdbd.socket`;
}

export function runDir(env: NodeJS.ProcessEnv): string {
  if (env.CTDB_TEST_MODE === undefined) return DEFAULT_RUNDIR;
  const base = env.CTDB_BASE;
  if (base === undefined) {
    throw new ClientError('Broken CTDB setup, CTDB_BASE not set in test mode', Errno.EINVAL);
  }
  return `${base}/run`;
}
