// The daemon's side of SET_RECMODE → NORMAL with a cluster lock configured (CTDB 4.17
// set_recmode handler): this node must NOT be able to take the lock, since the leader holds it.
// Contention or a timeout is good; taking it is the lock-coherence error and the mode stays
// ACTIVE. Built on the cluster-lock package's one-shot check.
import { checkLockDuringRecovery } from '../cluster-lock/index.js';

export type RecmodeNormalCheck = { ok: true } | { ok: false; error: string };

export async function checkBeforeRecmodeNormal(
  lockArgv: readonly string[] | undefined,
  options: { timeoutMs?: number; onStderr?: (line: string) => void } = {},
): Promise<RecmodeNormalCheck> {
  if (lockArgv === undefined) return { ok: true };
  const r = await checkLockDuringRecovery(lockArgv, options);
  return r.ok ? { ok: true } : { ok: false, error: r.error };
}
