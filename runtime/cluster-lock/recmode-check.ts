// The recovery-mode check (CTDB's set_recmode handler): when a node is told to leave recovery
// and a cluster lock is configured, it tries the lock itself with a short timeout. The lock
// must be held by the leader, so contention or a timeout is good news; getting it means the
// lock does not exclude (a cluster filesystem coherence problem).
import { ClusterMutex } from './mutex.js';
import { MutexStatus } from './status.js';

export const RECMODE_CHECK_TIMEOUT_MS = 5000;

export type RecmodeLockCheck =
  | {
      ok: true;
      status: typeof MutexStatus.Contended | typeof MutexStatus.Timeout;
      latencyMs: number;
    }
  | { ok: false; status: typeof MutexStatus.Held | typeof MutexStatus.Error; error: string };

export async function checkLockDuringRecovery(
  argv: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; onStderr?: (line: string) => void } = {},
): Promise<RecmodeLockCheck> {
  const mutex = ClusterMutex.take({
    argv,
    timeoutMs: options.timeoutMs ?? RECMODE_CHECK_TIMEOUT_MS,
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.onStderr !== undefined ? { onStderr: options.onStderr } : {}),
  });
  const r = await mutex.result;
  mutex.release(); // whatever happened, this check must not keep the lock
  switch (r.status) {
    case MutexStatus.Contended:
    case MutexStatus.Timeout:
      return { ok: true, status: r.status, latencyMs: r.latencyMs };
    case MutexStatus.Held:
      return {
        ok: false,
        status: r.status,
        error:
          'Took recovery lock from daemon during recovery - probably a cluster filesystem lock coherence problem',
      };
    case MutexStatus.Error:
      return { ok: false, status: r.status, error: 'Unexpected error when testing recovery lock' };
  }
}
