// The recovery daemon's main loop, run inside ctdbd (CTDB runs it as ctdb-recoverd), wiring the
// pure pieces of runtime/recovery, runtime/banning and runtime/takeover to the daemon:
// - every node, every RecoverInterval: an INACTIVE node keeps its recovery mode ACTIVE and
//   stops there; otherwise it checks its own public addresses (verifyLocalIpAllocation) and
//   asks the leader for a takeover run when something is off;
// - the leader then fetches every node's view (node maps, capabilities, recovery modes,
//   vnnmaps), lets leaderChecks decide, gives ban credits, pushes flags, and recovers
//   (Recoverer) or runs a takeover (TakeoverRunner) as decided;
// - a node's flags changing, a node disconnecting and takeover-run requests make the leader
//   look again at once instead of at the next tick.
import { BanCredits } from '../banning/credits.js';
import { realClock } from '../health/clock.js';
import {
  DestNode,
  NODE_FLAGS_INACTIVE,
  NodeFlag,
  RecoveryMode,
  Srvid,
} from '../protocol/constants.js';
import { Control } from '../protocol/controls.js';
import {
  banStatePayload,
  i32Payload,
  nodeMapPayload,
  srvidMessagePayload,
  u32Payload,
  vnnMapPayload,
} from '../protocol/payloads.js';
import { leaderChecks, type LeaderView } from '../recovery/leader-checks.js';
import { Recoverer, type ClusterControls } from '../recovery/do-recovery.js';
import type { Fetched, NodeEntry, VnnMap } from '../recovery/types.js';
import { TakeoverRunner, verifyLocalIpAllocation } from '../takeover/run.js';
import type { ClusterControls as TakeoverControls } from '../takeover/run.js';
import type { Iface } from '../protocol/index.js';
import type { Ctdbd } from './ctdbd.js';

const EMPTY = new Uint8Array(0);

interface Waiter {
  readonly pnn: number;
  readonly srvid: bigint;
  readonly since: number;
}

/** How long a node keeps a takeover-run request it cannot serve (it may become leader). */
const WAITER_LIFETIME_MS = 60_000;

export class RecoveryMaster {
  readonly credits: BanCredits;
  readonly recoverer: Recoverer;
  readonly takeover: TakeoverRunner;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private again = false;
  private stopped = true;
  /** SRVID_TAKEOVER_RUN requests answered after the next run. */
  private waiters: Waiter[] = [];
  private takeoverRequested = false;
  /** Flags of every node as the leader saw them last loop; a change means a takeover run. */
  private lastFlags = new Map<number, number>();
  private previousIfaces: readonly Iface[] | undefined;
  private ipCheckDisabledUntil = 0;
  private lastIpCheckRequest = 0;
  private lastReason = '';
  private lastReasonAt = 0;

  constructor(private readonly d: Ctdbd) {
    const log = {
      info: (m: string) => d.log.notice(m),
      warn: (m: string) => d.log.warning(m),
      error: (m: string) => d.log.error(m),
    };
    this.credits = new BanCredits({
      clock: realClock,
      recoveryGracePeriod: () => d.tunables.value('RecoveryGracePeriod'),
      isKnownNode: (pnn) => d.nodeMap.get(pnn) !== undefined,
      selfInactive: () => (d.nodeMap.self.flags & NODE_FLAGS_INACTIVE) !== 0,
    });
    this.recoverer = new Recoverer({
      ownPnn: d.pnn,
      clock: realClock,
      controls: this.recoveryControls(),
      credits: this.credits,
      isLeader: () => this.isLeader(),
      canLead: () => d.canBeLeader(),
      electionInProgress: () => d.election.inProgress,
      clusterLock: {
        configured: d.lockConfigured,
        held: () => d.election.holdsLock,
      },
      rerecoveryTimeout: () => d.tunables.value('RerecoveryTimeout'),
      recoveryBanPeriod: () => d.tunables.value('RecoveryBanPeriod'),
      log,
    });
    this.takeover = new TakeoverRunner(this.takeoverControls(), {
      failoverDisabled: d.config.failover.disabled,
      log: (line) => d.log.notice(line),
    });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Looks again as soon as possible (a node went away, flags changed, a run was asked for). */
  kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Kept for the election: a won election is followed by a recovery. */
  requestRecovery(reason: string): void {
    this.recoverer.leadershipGained();
    this.recoverer.needRecovery = true;
    this.d.log.notice(`Recovery requested: ${reason}`);
    this.kick();
  }

  /** SRVID_DISABLE_RECOVERIES: our PNN, or -EAGAIN while a recovery runs. */
  disableRecoveries(requester: number, seconds: number): number {
    if (seconds > 0 && this.busy && this.recoverer.needRecovery) return -11;
    this.recoverer.disableRecoveries(requester, seconds);
    this.d.log.notice(
      seconds === 0 ? 'Reenabling recoveries' : `Disabling recoveries for ${seconds} seconds`,
    );
    return this.d.pnn;
  }

  /** SRVID_DISABLE_TAKEOVER_RUNS: our PNN, or -EAGAIN while a run is going here. */
  disableTakeoverRuns(seconds: number): number {
    if (seconds > 0 && this.takeover.inProgress) return -11;
    this.takeover.gate.disable(seconds);
    return this.d.pnn;
  }

  /** SRVID_DISABLE_IP_CHECK: no local address check for `seconds`. */
  disableIpCheck(seconds: number): void {
    this.ipCheckDisabledUntil = seconds === 0 ? 0 : Date.now() + seconds * 1000;
  }

  /**
   * SRVID_TAKEOVER_RUN (srvid 0: nobody waits for the answer). Every node queues it, as CTDB's
   * recovery daemons do: the leader serves it; a node that becomes leader soon (the request
   * came in the middle of an election) serves it then.
   */
  takeoverRunRequest(pnn: number, srvid: bigint): void {
    if (srvid !== 0n) this.waiters.push({ pnn, srvid, since: Date.now() });
    if (this.d.leader !== this.d.pnn) return;
    this.takeoverRequested = true;
    this.kick();
  }

  /** SRVID_REBALANCE_NODE: LCP2 may move addresses onto pnn at the next run. */
  rebalanceNode(pnn: number): void {
    if (this.d.leader !== this.d.pnn) return;
    this.takeover.addRebalanceTarget(pnn);
    this.kick();
  }

  /** SRVID_BANNING from a takeover run: blame the node that failed most. */
  banningMessage(pnn: number): void {
    if (this.d.leader !== this.d.pnn) return;
    this.credits.culprit(pnn, this.d.nodeMap.nodes.length);
  }

  private isLeader(): boolean {
    const d = this.d;
    return d.leader === d.pnn && (!d.lockConfigured || d.election.holdsLock);
  }

  private schedule(seconds: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), seconds * 1000);
  }

  private async loop(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    this.again = false;
    try {
      await this.iteration();
    } catch (err) {
      this.d.log.error(`Recovery daemon loop: ${(err as Error).message}`);
    } finally {
      this.busy = false;
      this.schedule(this.again ? 0 : Math.max(this.d.tunables.value('RecoverInterval'), 1));
    }
  }

  private timeoutMs(): number {
    return this.d.tunables.value('RecoverTimeout') * 1000;
  }

  private async iteration(): Promise<void> {
    const d = this.d;
    if (d.election.inProgress) return;
    if ((d.nodeMap.self.flags & NODE_FLAGS_INACTIVE) !== 0) {
      d.election.touchPriority();
      if (d.recmode === RecoveryMode.NORMAL) {
        d.log.error(
          'Node is stopped or banned but recovery mode is not active. Activate recovery mode and lock databases',
        );
        d.recmode = RecoveryMode.ACTIVE;
      }
      return;
    }
    if (d.recmode === RecoveryMode.NORMAL) await this.checkLocalAddresses();
    if (!this.isLeader()) {
      const now = Date.now();
      this.waiters = this.waiters.filter((w) => now - w.since < WAITER_LIFETIME_MS);
      this.takeoverRequested = false;
      return;
    }
    await this.leaderIteration();
  }

  /** verify_local_ip_allocation: ask the leader for a run when our addresses look wrong. */
  private async checkLocalAddresses(): Promise<void> {
    const d = this.d;
    const ips = d.ips;
    if (ips === undefined || d.config.failover.disabled) return;
    if (this.takeover.gate.disabled || Date.now() < this.ipCheckDisabledUntil) return;
    const ifaces = ips.getIfaces();
    const reason = await verifyLocalIpAllocation({
      pnn: d.pnn,
      flags: d.nodeMap.self.flags,
      ifaces,
      previousIfaces: this.previousIfaces,
      known: ips.getPublicIps(false),
      available: ips.getPublicIps(true),
      kernel: d.kernelAddresses,
    });
    this.previousIfaces = ifaces;
    if (reason === undefined) return;
    // Once a second at most: the leader needs a moment to act on the first request.
    if (Date.now() - this.lastIpCheckRequest < 1000) return;
    this.lastIpCheckRequest = Date.now();
    d.log.notice(`Trigger takeoverrun: ${reason}`);
    if (this.isLeader()) {
      this.takeoverRequested = true;
      return;
    }
    if (d.leader !== d.pnn && d.nodeMap.get(d.leader) !== undefined)
      d.sendMessage(
        d.leader,
        Srvid.TAKEOVER_RUN,
        srvidMessagePayload.encode({ pnn: d.pnn, srvid: 0n }),
      );
  }

  private async fetch<T>(
    pnn: number,
    opcode: number,
    decode: (b: Uint8Array) => T,
  ): Promise<Fetched<T>> {
    try {
      const r = await this.d.control(pnn, opcode, EMPTY, { timeoutMs: this.timeoutMs() });
      if (r.status !== 0 && opcode !== Control.GET_RECMODE)
        return { ok: false, error: `status ${r.status}` };
      return { ok: true, value: opcode === Control.GET_RECMODE ? (r.status as T) : decode(r.data) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  private async leaderIteration(): Promise<void> {
    const d = this.d;
    const own = ownNodemap(d);
    const connected = own.filter((n) => (n.flags & NodeFlag.DISCONNECTED) === 0);
    const active = own.filter((n) => (n.flags & NODE_FLAGS_INACTIVE) === 0);
    const decodeNodemap = (b: Uint8Array): NodeEntry[] =>
      nodeMapPayload.decode(b).nodes.map((n) => ({ pnn: n.pnn, flags: n.flags }));
    const [nodemaps, caps, recmodes, vnnmaps] = await Promise.all([
      this.fetchAll(connected, Control.GET_NODEMAP, decodeNodemap),
      this.fetchAll(connected, Control.GET_CAPABILITIES, (b) => u32Payload.decode(b)),
      this.fetchAll(active, Control.GET_RECMODE, () => 0),
      this.fetchAll(
        active.filter((n) => n.pnn !== d.pnn),
        Control.GETVNNMAP,
        (b): VnnMap => vnnMapPayload.decode(b),
      ),
    ]);
    const capabilities = new Map<number, number>();
    for (const [pnn, c] of caps) if (c.ok) capabilities.set(pnn, c.value);
    for (const [pnn, c] of capabilities) {
      const node = d.nodeMap.get(pnn);
      if (node !== undefined && pnn !== d.pnn) node.capabilities = c;
    }

    // A change of any node's flags (a node gone, disabled, unhealthy…) moves addresses.
    let flagsChanged = false;
    for (const n of own) {
      if (this.lastFlags.get(n.pnn) !== n.flags) flagsChanged = true;
      this.lastFlags.set(n.pnn, n.flags);
    }
    if (flagsChanged) this.takeover.needTakeoverRun = true;

    const view: LeaderView = {
      ownPnn: d.pnn,
      nodemap: own,
      configuredNodeCount: d.nodeMap.nodes.length,
      remoteNodemaps: nodemaps,
      capabilities,
      vnnmap: d.vnnmap,
      needRecovery: this.recoverer.needRecovery,
      recmodes,
      clusterLock: { configured: d.lockConfigured, held: d.election.holdsLock },
      recoveriesDisabled: this.recoverer.recoveriesDisabled(),
      remoteVnnmaps: vnnmaps,
      takeover: {
        disabled: this.takeover.gate.disabled,
        needed: this.takeover.needTakeoverRun || this.takeoverRequested,
        queuedRequests: this.waiters.length,
      },
    };
    const decision = leaderChecks(view);
    for (const c of decision.culprits) this.credits.culprit(c.pnn, c.credits);
    for (const u of decision.flagUpdates) {
      const node = d.nodeMap.get(u.pnn);
      if (node === undefined) continue;
      const old = node.flags;
      node.flags = u.flags | (old & NodeFlag.DISCONNECTED);
      d.pushFlags(u.pnn, old, node.flags);
      this.lastFlags.set(u.pnn, node.flags);
      this.takeover.needTakeoverRun = true;
    }
    if (decision.action === 'recover') {
      // Once per reason (and every 10 s while it lasts), not every loop.
      if (decision.reason !== this.lastReason || Date.now() - this.lastReasonAt > 10_000) {
        d.log.notice(`Recovery needed: ${decision.reason}`);
        this.lastReason = decision.reason;
        this.lastReasonAt = Date.now();
      }
      const r = await this.recoverer.doRecovery(decision.reason);
      if (r.outcome === 'recovered') {
        this.takeoverRequested = false;
        this.answerWaiters(!this.recoverer.needTakeoverRun);
        return;
      }
      // Addresses still move while a recovery has to wait (RerecoveryTimeout, disabled).
      const needed =
        this.takeover.needTakeoverRun || this.takeoverRequested || this.waiters.length > 0;
      if (r.outcome === 'recoveries-disabled' && needed && !this.takeover.gate.disabled)
        await this.runTakeover();
      return;
    }
    if (decision.action === 'takeover-run') await this.runTakeover();
  }

  private async fetchAll<T>(
    nodes: readonly NodeEntry[],
    opcode: number,
    decode: (b: Uint8Array) => T,
  ): Promise<Map<number, Fetched<T>>> {
    const results = await Promise.all(nodes.map((n) => this.fetch(n.pnn, opcode, decode)));
    return new Map(nodes.map((n, i) => [n.pnn, results[i]!]));
  }

  /** One takeover run; answers everybody who asked for one. */
  private async runTakeover(): Promise<boolean> {
    const d = this.d;
    this.takeoverRequested = false;
    const connected = d.nodeMap.connected().map((n) => n.pnn);
    const ok = await this.takeover.run(connected);
    if (!ok && this.takeover.gate.disabled) return false;
    this.recoverer.needTakeoverRun = this.takeover.needTakeoverRun;
    this.answerWaiters(ok);
    return ok;
  }

  private answerWaiters(ok: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    const data = i32Payload.encode(ok ? this.d.pnn : -1);
    for (const w of waiters) this.d.sendMessage(w.pnn, w.srvid, data);
  }

  /** The recovery's controls over the daemon's own control path. */
  private recoveryControls(): ClusterControls {
    const d = this.d;
    const each = async (
      pnns: readonly number[],
      opcode: number,
      data: Uint8Array,
      what: string,
    ): Promise<void> => {
      const replies = await Promise.all(
        pnns.map((p) =>
          d
            .control(p, opcode, data, { timeoutMs: this.timeoutMs() })
            .then((r) => r.status)
            .catch(() => -1),
        ),
      );
      replies.forEach((status, i) => {
        if (status !== 0) {
          this.credits.culprit(pnns[i]!, 1);
          throw new Error(`${what} failed on node ${pnns[i]} (status ${status})`);
        }
      });
    };
    return {
      getNodemap: () => Promise.resolve(ownNodemap(d)),
      getCapabilities: async (pnns) => {
        const m = await this.fetchAll(
          pnns.map((pnn) => ({ pnn, flags: 0 })),
          Control.GET_CAPABILITIES,
          (b) => u32Payload.decode(b),
        );
        const out = new Map<number, number>();
        for (const [pnn, c] of m) out.set(pnn, c.ok ? c.value : 0);
        if (!out.has(d.pnn)) out.set(d.pnn, d.capabilities);
        return out;
      },
      pushFlags: (pnn, flags) => {
        const node = d.nodeMap.get(pnn);
        if (node !== undefined) d.pushFlags(pnn, node.flags, flags);
        return Promise.resolve();
      },
      banNode: async (pnn, seconds) => {
        const r = await d.control(
          pnn,
          Control.SET_BAN_STATE,
          banStatePayload.encode({ pnn, time: seconds }),
          {
            timeoutMs: this.timeoutMs(),
          },
        );
        if (r.status !== 0) throw new Error(`SET_BAN_STATE failed on node ${pnn}`);
      },
      setRecoveryMode: (pnns, mode) =>
        each(pnns, Control.SET_RECMODE, u32Payload.encode(mode), 'SET_RECMODE'),
      startRecovery: (pnns) => {
        d.lastRecoveryStarted = Date.now();
        return each(pnns, Control.START_RECOVERY, EMPTY, 'START_RECOVERY');
      },
      setVnnmap: (pnns, vnnmap) =>
        each(pnns, Control.SETVNNMAP, vnnMapPayload.encode(vnnmap), 'SETVNNMAP'),
      recoverDatabases: () => Promise.resolve(),
      endRecovery: (pnns) => each(pnns, Control.END_RECOVERY, EMPTY, 'END_RECOVERY'),
      takeoverRun: () => {
        this.takeover.needTakeoverRun = true;
        return this.runTakeover();
      },
      broadcastReconfigure: () => {
        d.sendMessage(DestNode.BROADCAST_CONNECTED, Srvid.RECONFIGURE, EMPTY);
        return Promise.resolve();
      },
    };
  }

  /** The takeover run's controls: a non-zero status is a failure. */
  private takeoverControls(): TakeoverControls {
    const d = this.d;
    return {
      pnn: d.pnn,
      control: async (destnode, opcode, data, opts) => {
        const r = await d.control(destnode, opcode, data, {
          timeoutMs: opts.timeoutMs,
          ...(opts.flags !== undefined ? { flags: opts.flags } : {}),
        });
        if (r.status !== 0)
          throw new Error(
            `control ${opcode} failed on node ${destnode} (status ${r.status}${r.errorMessage !== undefined ? `: ${r.errorMessage}` : ''})`,
          );
        return r.data;
      },
      message: (destnode, srvid, data) => d.sendMessage(destnode, srvid, data),
    };
  }
}

/** The daemon's node map as the recovery modules see it. */
function ownNodemap(d: Ctdbd): NodeEntry[] {
  return d.nodeMap.nodes.map((n) => ({ pnn: n.pnn, flags: n.flags }));
}
