// Shared by the fault tests: which daemon they run (ours unless CTDB_FAULT_DAEMON=debian, which
// checks the tests themselves against the real CTDB), why they would be skipped, who holds the
// lock file, and the "exactly one leader among these nodes" wait.
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { getLock } from '../../../runtime/cluster-lock/native.js';
import { after, before, beforeEach } from 'node:test';
import {
  FaultCluster,
  arpingUnavailable,
  faultClusterUnavailable,
  type ClusterLockKind,
  type DaemonKind,
  type FaultClusterOptions,
} from '../../support/fault-cluster.js';

/** The daemon under test: ours, or Debian's with CTDB_FAULT_DAEMON=debian. */
export const DAEMON: DaemonKind = process.env.CTDB_FAULT_DAEMON === 'debian' ? 'debian' : 'ours';

export function skipReason(lock: ClusterLockKind = 'file', needsArping = false): string | false {
  return (
    faultClusterUnavailable(DAEMON, lock) ??
    (needsArping ? arpingUnavailable() : undefined) ??
    false
  );
}

function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** The node whose namespace process `pid` runs in (found through the node's TCP service). */
export function nodeOfPid(c: FaultCluster, pid: number): number | undefined {
  const ns = netnsOf(pid);
  if (ns === undefined) return undefined;
  return c.nodes.find((n) => n.service !== undefined && netnsOf(n.service.pid) === ns)?.pnn;
}

/** Who holds the write lock on byte 0 of the cluster's lock file (pid and node), if anyone. */
export function lockHolder(c: FaultCluster): { pid: number; pnn: number | undefined } | undefined {
  if (c.lockFile === undefined) throw new Error('the cluster has no lock file');
  let fd: number;
  try {
    fd = openSync(c.lockFile, constants.O_RDWR);
  } catch {
    return undefined;
  }
  try {
    const h = getLock(fd, 'write', 0, 1);
    return h === null ? undefined : { pid: h.pid, pnn: nodeOfPid(c, h.pid) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Waits until the nodes in `live` agree on one leader that is among them, with recovery over
 * (and, with a lock file, the lock held from the leader's namespace). Returns the leader and
 * the time it took.
 */
export async function waitOneLeader(
  c: FaultCluster,
  live: readonly number[],
  timeoutMs: number,
  what: string,
): Promise<{ leader: number; ms: number }> {
  let leader: number | undefined;
  const ms = await c.waitFor(
    async () => {
      const states = await Promise.all(live.map((p) => c.state(p)));
      if (states.some((s) => s === undefined || s.recmode !== 0)) return false;
      const leaders = new Set(states.map((s) => s!.leader));
      const [l] = leaders;
      if (leaders.size !== 1 || l === undefined || !live.includes(l)) return false;
      if (c.lockFile !== undefined && lockHolder(c)?.pnn !== l) return false;
      leader = l;
      return true;
    },
    timeoutMs,
    what,
  );
  assert.ok(leader !== undefined);
  return { leader, ms };
}

/** Every node's pnn except `but`. */
export function others(c: FaultCluster, ...but: number[]): number[] {
  return c.nodes.map((n) => n.pnn).filter((p) => !but.includes(p));
}

/** Logs a measured figure so the run shows it. */
export function figure(text: string): void {
  console.log(`[${DAEMON}] ${text}`);
}

/**
 * Registers the suite's cluster: created once before its tests (for DAEMON), destroyed after.
 * `use` receives it. A failed start fails every test with its message (a failing `before` would
 * show only "cancelled" in the summary).
 */
export function suiteCluster(
  options: Omit<FaultClusterOptions, 'daemon'>,
  use: (c: FaultCluster) => void,
): void {
  let cluster: FaultCluster | undefined;
  let setupError: Error | undefined;
  before(async () => {
    try {
      cluster = await FaultCluster.create({ daemon: DAEMON, ...options });
      use(cluster);
    } catch (err) {
      setupError = err instanceof Error ? err : new Error(String(err));
    }
  });
  beforeEach(() => {
    if (setupError !== undefined) throw setupError;
  });
  after(async () => {
    await cluster?.destroy();
  });
}
