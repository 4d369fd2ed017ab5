// Which node's public interface carries each public address, over time, from the kernel's own
// notifications: one `ip -ts -o monitor address dev eth1` per node namespace, started once, plus
// a snapshot. This is the failover as the nodes see it ("the address moved"), independent of
// whether and when the client learned about it (a gratuitous ARP), so the two figures together
// tell a slow takeover from a missing or late announcement.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabHost, LabProcess } from '../../test/support/netlab.js';

/** What the watch needs of a cluster (FaultCluster has it). */
export interface WatchedCluster {
  readonly nodes: readonly { readonly host: LabHost }[];
  readonly publicAddresses: readonly string[];
  /** address → the pnns whose eth1 carries it right now. */
  kernelHolders(): Promise<Map<string, number[]>>;
}

interface AddressEvent {
  /** ms since the epoch, from ip's timestamp (local time, microseconds). */
  readonly t: number;
  readonly pnn: number;
  readonly address: string;
  readonly added: boolean;
}

export class HostedWatchError extends Error {
  override name = 'HostedWatchError';
}

/** `[2026-11-22T03:54:14.367582] [Deleted ]3: eth1    inet 10.78.0.101/24 …` */
const LINE =
  /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\] (Deleted )?\d+: \S+\s+inet6? ([0-9a-f.:]+)\//i;

export class HostedWatch {
  private readonly consumed: number[];
  private readonly events: AddressEvent[] = [];
  private readonly initial = new Map<string, Set<number>>();

  private constructor(
    private readonly cluster: WatchedCluster,
    private readonly monitors: readonly LabProcess[],
  ) {
    this.consumed = monitors.map(() => 0);
  }

  static async start(cluster: WatchedCluster): Promise<HostedWatch> {
    const monitors = cluster.nodes.map((n) =>
      n.host.spawn(['ip', '-ts', '-o', 'monitor', 'address', 'dev', 'eth1']),
    );
    const watch = new HostedWatch(cluster, monitors);
    // `ip monitor` prints nothing when it starts listening; give it a moment before the snapshot.
    await sleep(300);
    await watch.snapshot();
    return watch;
  }

  /** Re-reads the kernel state (after a settle), so history before now no longer matters. */
  async snapshot(): Promise<void> {
    this.pump();
    const held = await this.cluster.kernelHolders();
    this.initial.clear();
    for (const [address, pnns] of held) this.initial.set(address, new Set(pnns));
    this.events.splice(0, this.events.length);
  }

  private pump(): void {
    for (const [pnn, mon] of this.monitors.entries()) {
      if (!mon.running) throw new HostedWatchError(`ip monitor on node ${pnn} exited`);
      const out = mon.output();
      const end = out.lastIndexOf('\n') + 1;
      const fresh = out.slice(this.consumed[pnn], end);
      this.consumed[pnn] = end;
      for (const line of fresh.split('\n')) {
        const m = LINE.exec(line);
        if (m === null) continue;
        const t = Date.parse(m[1]!) + Number(`0.${m[2]!}`) * 1000;
        this.events.push({ t, pnn, address: m[4]!, added: m[3] === undefined });
      }
    }
  }

  /**
   * ms from t0 until every public address was on the eth1 of some node not in `exclude`
   * (0 if that already held at t0). Throws HostedWatchError after timeoutMs.
   */
  async movedSince(t0: number, exclude: readonly number[], timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.pump();
      const at = this.firstTimeAllHosted(t0, exclude);
      if (at !== undefined) return Math.max(0, at - t0);
      if (Date.now() > deadline)
        throw new HostedWatchError(
          `addresses not all on a node other than ${exclude.join(',')} within ${timeoutMs} ms`,
        );
      await sleep(20);
    }
  }

  private firstTimeAllHosted(t0: number, exclude: readonly number[]): number | undefined {
    const state = new Map<string, Set<number>>();
    for (const [a, pnns] of this.initial) state.set(a, new Set(pnns));
    const ok = (): boolean =>
      this.cluster.publicAddresses.every((a) =>
        [...(state.get(a) ?? [])].some((p) => !exclude.includes(p)),
      );
    const events = [...this.events].sort((x, y) => x.t - y.t);
    let i = 0;
    for (; i < events.length && events[i]!.t < t0; i++) apply(state, events[i]!);
    if (ok()) return t0;
    for (; i < events.length; i++) {
      apply(state, events[i]!);
      if (ok()) return events[i]!.t;
    }
    return undefined;
  }
}

function apply(state: Map<string, Set<number>>, e: AddressEvent): void {
  let set = state.get(e.address);
  if (set === undefined) {
    set = new Set();
    state.set(e.address, set);
  }
  if (e.added) set.add(e.pnn);
  else set.delete(e.pnn);
}
