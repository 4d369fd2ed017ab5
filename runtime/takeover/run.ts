// The leader's takeover run (CTDB 4.17's recoverd do_takeover_run plus ctdb_takeover_helper),
// and the non-leaders' check of their own addresses (verify_local_ip_allocation). Everything
// goes through ClusterControls, so the run is testable against fake nodes.
import {
  Control,
  NODE_FLAGS_INACTIVE,
  NodeFlag,
  Srvid,
  disableMessagePayload,
  nodeMapPayload,
  pnnMessagePayload,
  publicIpPayload,
  sockAddr,
  tunableListPayload,
  ControlFlag,
  type Iface,
  type PublicIp,
} from '../protocol/index.js';
import { TakeoverRunError } from './errors.js';
import {
  IpallocAlgorithm,
  UNASSIGNED,
  canHostIps,
  ipalloc,
  type IpallocAlgorithmId,
  type IpallocInput,
  type IpallocResult,
} from './ipalloc/index.js';
import type { KernelAddresses } from './node-ips.js';
import { publicIpListPayload } from './wire.js';

/** What the run needs from the daemon: controls to any node, and messages. */
export interface ClusterControls {
  /** This node's PNN (the leader's). */
  readonly pnn: number;
  /**
   * Sends a control and resolves with the reply data when the status is 0. Rejects on a
   * non-zero status, a transport failure or when timeoutMs passes.
   */
  control(
    destnode: number,
    opcode: number,
    data: Uint8Array,
    opts: { readonly timeoutMs: number; readonly flags?: number },
  ): Promise<Uint8Array>;
  /** Sends a message (fire and forget). */
  message(destnode: number, srvid: bigint, data: Uint8Array): void;
}

export interface TakeoverRunOptions {
  /** PNNs LCP2 may rebalance onto although they host addresses (REBALANCE_NODE, addip). */
  readonly forceRebalance?: readonly number[];
  /** CTDB_DISABLE_IP_FAILOVER: skip straight to ipreallocated. */
  readonly failoverDisabled?: boolean;
  /** Log sink for what the run did (one line each). */
  readonly log?: (line: string) => void;
}

export interface TakeoverRunReport {
  /** The allocation made (undefined when nothing could host addresses). */
  readonly allocation: IpallocResult | undefined;
  readonly releases: number;
  readonly takeovers: number;
}

const CONTROL_FLAGS_NONE = 0;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function algorithmOf(value: number): IpallocAlgorithmId {
  return value === 0
    ? IpallocAlgorithm.DETERMINISTIC
    : value === 1
      ? IpallocAlgorithm.NONDETERMINISTIC
      : IpallocAlgorithm.LCP2;
}

/** A deadline shared by several steps: each control gets what is left of it. */
class Deadline {
  private readonly end: number;
  constructor(ms: number) {
    this.end = Date.now() + ms;
  }
  get left(): number {
    return Math.max(1, this.end - Date.now());
  }
}

/**
 * One run of the takeover helper. Throws TakeoverRunError after assigning ban credits (a
 * SRVID_BANNING message to this node naming the node with the most failures, if EnableBans).
 */
export async function takeoverRun(
  cc: ClusterControls,
  opts: TakeoverRunOptions = {},
): Promise<TakeoverRunReport> {
  const log = opts.log ?? (() => undefined);
  const credits = new Map<number, number>();
  const blame = (pnn: number): void => {
    credits.set(pnn, (credits.get(pnn) ?? 0) + 1);
  };

  const tunables = tunableListPayload.decode(
    await cc.control(cc.pnn, Control.GET_ALL_TUNABLES, new Uint8Array(0), { timeoutMs: 10_000 }),
  );
  const nodemap = nodeMapPayload.decode(
    await cc.control(cc.pnn, Control.GET_NODEMAP, new Uint8Array(0), { timeoutMs: 10_000 }),
  ).nodes;
  const takeoverMs = tunables.TakeoverTimeout * 1000;
  const connected = nodemap
    .filter((n) => (n.flags & (NodeFlag.DISCONNECTED | NodeFlag.DELETED)) === 0)
    .map((n) => n.pnn);
  const active = nodemap.filter((n) => (n.flags & NODE_FLAGS_INACTIVE) === 0).map((n) => n.pnn);

  const fail = (message: string): never => {
    const failed = [...credits.keys()];
    if (tunables.EnableBans !== 0) {
      let max = 0;
      let maxPnn = -1;
      for (const [pnn, c] of [...credits].sort((a, b) => a[0] - b[0])) {
        if (c > max) {
          max = c;
          maxPnn = pnn;
        }
      }
      if (maxPnn >= 0) {
        log(`Assigning banning credits to node ${maxPnn}`);
        cc.message(cc.pnn, Srvid.BANNING, pnnMessagePayload.encode(maxPnn));
      }
    }
    throw new TakeoverRunError(message, failed);
  };

  const ipreallocated = async (deadline: Deadline): Promise<void> => {
    const results = await Promise.allSettled(
      connected.map((pnn) =>
        cc.control(pnn, Control.IPREALLOCATED, new Uint8Array(0), { timeoutMs: deadline.left }),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        log(`IPREALLOCATED failed on node ${connected[i]}: ${errorMessage(r.reason)}`);
        blame(connected[i]!);
      }
    });
    if (credits.size > 0) fail('IPREALLOCATED failed');
  };

  if (opts.failoverDisabled === true) {
    await ipreallocated(new Deadline(3 * takeoverMs));
    return { allocation: undefined, releases: 0, takeovers: 0 };
  }

  const fetchIps = async (
    pnns: readonly number[],
    onlyAvailable: boolean,
  ): Promise<Map<number, readonly PublicIp[]>> => {
    const out = new Map<number, readonly PublicIp[]>();
    const results = await Promise.allSettled(
      pnns.map((pnn) =>
        cc.control(pnn, Control.GET_PUBLIC_IPS, new Uint8Array(0), {
          timeoutMs: takeoverMs,
          flags: onlyAvailable ? ControlFlag.PUBLIC_IP_ONLY_AVAILABLE : CONTROL_FLAGS_NONE,
        }),
      ),
    );
    results.forEach((r, i) => {
      const pnn = pnns[i]!;
      try {
        if (r.status === 'rejected') throw r.reason;
        out.set(pnn, publicIpListPayload.decode(r.value));
      } catch (e) {
        log(`control GET_PUBLIC_IPS failed on node ${pnn}: ${errorMessage(e)}`);
        blame(pnn);
      }
    });
    if (credits.size > 0) fail('Failed to fetch public IPs');
    return out;
  };

  const known = await fetchIps(connected, false);
  const withIps = active.filter((pnn) => (known.get(pnn)?.length ?? 0) > 0);
  const available = await fetchIps(withIps, true);

  const asPnn = (v: number): number => (v === 0xffffffff ? UNASSIGNED : v);
  const input: IpallocInput = {
    nodes: nodemap.map((n) => ({
      flags: n.flags,
      known: (known.get(n.pnn) ?? []).map((ip) => ({
        address: ip.addr.address,
        pnn: asPnn(ip.pnn),
      })),
      available: (available.get(n.pnn) ?? []).map((ip) => ip.addr.address),
    })),
    tunables: {
      algorithm: algorithmOf(tunables.IPAllocAlgorithm),
      noIpFailback: tunables.NoIPFailback !== 0,
      noIpTakeover: tunables.NoIPTakeover !== 0,
    },
    forceRebalance: opts.forceRebalance ?? [],
  };

  // One deadline covers releases, takeovers and ipreallocated.
  const deadline = new Deadline(3 * takeoverMs);
  if (!canHostIps(input)) {
    log('Cluster can not host IPs, skipping IP assignment');
    await ipreallocated(deadline);
    return { allocation: undefined, releases: 0, takeovers: 0 };
  }
  const allocation = ipalloc(input);
  for (const l of allocation.log) log(l.text);

  // Releases: every connected node that knows the address and is not its new owner.
  const releases: { pnn: number; ip: string; p: Promise<Uint8Array> }[] = [];
  for (const a of allocation.ips) {
    const ip: PublicIp = { pnn: a.pnn >>> 0, addr: sockAddr(a.address.text) };
    const data = publicIpPayload.encode(ip);
    for (const pnn of connected) {
      if (!a.knownOn.includes(pnn) || a.pnn === pnn) continue;
      releases.push({
        pnn,
        ip: a.address.text,
        p: cc.control(pnn, Control.RELEASE_IP, data, { timeoutMs: deadline.left }),
      });
    }
  }
  const released = await Promise.allSettled(releases.map((r) => r.p));
  released.forEach((r, i) => {
    if (r.status === 'rejected') {
      const rel = releases[i]!;
      log(`RELEASE_IP ${rel.ip} failed on node ${rel.pnn}: ${errorMessage(r.reason)}`);
      blame(rel.pnn);
    }
  });
  if (credits.size > 0) fail('RELEASE_IP failed');

  // Takeovers, also when nothing changed, so inconsistencies get repaired.
  const takes = allocation.ips
    .filter((a) => a.pnn !== UNASSIGNED)
    .map((a) => ({
      pnn: a.pnn,
      ip: a.address.text,
      p: cc.control(
        a.pnn,
        Control.TAKEOVER_IP,
        publicIpPayload.encode({ pnn: a.pnn, addr: sockAddr(a.address.text) }),
        { timeoutMs: deadline.left },
      ),
    }));
  const taken = await Promise.allSettled(takes.map((t) => t.p));
  taken.forEach((r, i) => {
    if (r.status === 'rejected') {
      const t = takes[i]!;
      log(`TAKEOVER_IP ${t.ip} failed on node ${t.pnn}: ${errorMessage(r.reason)}`);
      blame(t.pnn);
    }
  });
  if (credits.size > 0) fail('TAKEOVER_IP failed');

  await ipreallocated(deadline);
  return { allocation, releases: releases.length, takeovers: takes.length };
}

/** Whether takeover runs are disabled here (DISABLE_TAKEOVER_RUNS with a timeout). */
export class TakeoverRunsGate {
  private until = 0;
  constructor(private readonly now: () => number = Date.now) {}

  /** timeoutSec 0 re-enables. */
  disable(timeoutSec: number): void {
    this.until = timeoutSec === 0 ? 0 : this.now() + timeoutSec * 1000;
  }

  get disabled(): boolean {
    return this.now() < this.until;
  }
}

/**
 * The leader's side of runs: refuses overlapping or disabled runs, disables runs on the other
 * nodes while addresses move, keeps the force-rebalance list and the "need a run" flag.
 */
export class TakeoverRunner {
  readonly gate = new TakeoverRunsGate();
  private running = false;
  private rebalance = new Set<number>();
  /** Set when a run failed or was asked for; the recovery loop retries while it is set. */
  needTakeoverRun = false;

  constructor(
    private readonly cc: ClusterControls,
    private readonly opts: Omit<TakeoverRunOptions, 'forceRebalance'> = {},
  ) {}

  get inProgress(): boolean {
    return this.running;
  }

  /** REBALANCE_NODE (addip, ctdb's rebalance requests). */
  addRebalanceTarget(pnn: number): void {
    this.rebalance.add(pnn);
    this.needTakeoverRun = true;
  }

  get forceRebalance(): readonly number[] {
    return [...this.rebalance].sort((a, b) => a - b);
  }

  private disableOthers(connected: readonly number[], timeoutSec: number): void {
    const data = disableMessagePayload.encode({ pnn: this.cc.pnn, srvid: 0n, timeout: timeoutSec });
    for (const pnn of connected) {
      if (pnn !== this.cc.pnn) this.cc.message(pnn, Srvid.DISABLE_TAKEOVER_RUNS, data);
    }
  }

  /**
   * Runs once. Returns false when refused (already running, or disabled) or failed; the failure
   * leaves needTakeoverRun set so the next loop retries.
   */
  async run(connected: readonly number[]): Promise<boolean> {
    if (this.running || this.gate.disabled) return false;
    this.running = true;
    const rebalance = this.forceRebalance;
    try {
      this.disableOthers(connected, 60);
      await takeoverRun(this.cc, { ...this.opts, forceRebalance: rebalance });
      // Clear the list only if it did not change while the run was going.
      if (this.forceRebalance.join(',') === rebalance.join(',')) this.rebalance.clear();
      this.needTakeoverRun = false;
      return true;
    } catch (e) {
      this.opts.log?.(`Takeover run failed: ${errorMessage(e)}`);
      this.needTakeoverRun = true;
      return false;
    } finally {
      this.disableOthers(connected, 0);
      this.running = false;
    }
  }
}

export interface LocalIpCheck {
  readonly pnn: number;
  /** This node's flags from the nodemap. */
  readonly flags: number;
  /** GET_IFACES now, and as of the previous loop (undefined on the first). */
  readonly ifaces: readonly Iface[];
  readonly previousIfaces: readonly Iface[] | undefined;
  /** GET_PUBLIC_IPS (all) and GET_PUBLIC_IPS(ONLY_AVAILABLE) on this node. */
  readonly known: readonly PublicIp[];
  readonly available: readonly PublicIp[];
  /** When given and `checked`, compare the owner beliefs with the kernel. */
  readonly kernel?: KernelAddresses;
}

function sameIfaces(a: readonly Iface[], b: readonly Iface[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => x.name === b[i]!.name && x.linkState === b[i]!.linkState)
  );
}

/**
 * verify_local_ip_allocation: the reason a takeover run is needed, or undefined. The caller
 * skips it when failover or takeover runs are disabled, and on "needed" broadcasts
 * TAKEOVER_RUN (no reply).
 */
export async function verifyLocalIpAllocation(c: LocalIpCheck): Promise<string | undefined> {
  if (c.previousIfaces !== undefined && !sameIfaces(c.previousIfaces, c.ifaces)) {
    return 'interfaces changed';
  }
  if (c.flags === 0) {
    const unassigned = c.available.find((ip) => ip.pnn === 0xffffffff);
    if (unassigned !== undefined) return `public address ${unassigned.addr.address} is unassigned`;
  }
  if (c.kernel?.checked === true) {
    for (const ip of c.known) {
      const have = await c.kernel.hasAddress(ip.addr.address);
      if (ip.pnn === c.pnn && !have)
        return `public address ${ip.addr.address} is not on an interface`;
      if (ip.pnn !== c.pnn && have) return `public address ${ip.addr.address} is on an interface`;
    }
  }
  return undefined;
}
