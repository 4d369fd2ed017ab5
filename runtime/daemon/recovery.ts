// The leader's consistency loop and a simple recovery, run inside ctdbd (CTDB runs them in
// ctdb-recoverd). Every RecoverInterval the leader adopts each connected node's own flags
// (re-pushing them where views differ) and checks that every active node is in recovery mode
// NORMAL with our generation and that the vnnmap holds exactly the active LMASTER nodes. If
// not, it recovers: a new random generation and vnnmap, pushed to all active nodes between
// SET_RECMODE ACTIVE/START_RECOVERY and SET_RECMODE NORMAL/END_RECOVERY.
// Databases are not recovered yet (none are attached).
import { Capability, NODE_FLAGS_INACTIVE, RecoveryMode } from '../protocol/constants.js';
import { Control } from '../protocol/controls.js';
import { nodeMapPayload, u32Payload, vnnMapPayload } from '../protocol/payloads.js';
import type { Ctdbd } from './ctdbd.js';

const EMPTY = new Uint8Array(0);

export class RecoveryMaster {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private needRecovery: string | undefined;
  /** SRVID_DISABLE_RECOVERIES: no recovery starts before this time (ms since the epoch). */
  private disabledUntil = 0;
  private enableTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: Ctdbd) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.enableTimer);
    this.timer = undefined;
  }

  /**
   * Disables recoveries for `seconds` (0 re-enables at once, a new request replaces the old
   * one), as ctdb-recoverd does for SRVID_DISABLE_RECOVERIES. Returns our PNN on success, or
   * -EAGAIN while a recovery is running.
   */
  disableRecoveries(seconds: number): number {
    clearTimeout(this.enableTimer);
    this.enableTimer = undefined;
    if (seconds === 0) {
      if (this.disabledUntil !== 0) this.d.log.notice('Reenabling recoveries');
      this.disabledUntil = 0;
      return this.d.pnn;
    }
    if (this.busy && this.needRecovery !== undefined) {
      this.d.log.notice('Unable to disable recoveries - in progress');
      return -11; // EAGAIN
    }
    this.d.log.notice(`Disabling recoveries for ${seconds} seconds`);
    this.disabledUntil = Date.now() + seconds * 1000;
    this.enableTimer = setTimeout(() => {
      this.disabledUntil = 0;
      this.d.log.notice('Reenabling recoveries after timeout');
    }, seconds * 1000);
    this.enableTimer.unref();
    return this.d.pnn;
  }

  private recoveriesDisabled(): boolean {
    return Date.now() < this.disabledUntil;
  }

  requestRecovery(reason: string): void {
    this.needRecovery = reason;
    if (!this.busy) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.loop(), 0);
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => void this.loop(),
      Math.max(this.d.tunables.value('RecoverInterval'), 1) * 1000,
    );
  }

  private async loop(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.iteration();
    } catch (err) {
      this.d.log.error(`Recovery loop: ${(err as Error).message}`);
    } finally {
      this.busy = false;
      this.schedule();
    }
  }

  private timeoutMs(): number {
    return this.d.tunables.value('RecoverTimeout') * 1000;
  }

  private async iteration(): Promise<void> {
    const d = this.d;
    const self = d.nodeMap.self;
    if ((self.flags & NODE_FLAGS_INACTIVE) !== 0) {
      d.election.touchPriority();
      if (d.recmode === RecoveryMode.NORMAL) d.recmode = RecoveryMode.ACTIVE;
      return;
    }
    if (d.election.inProgress || d.leader !== d.pnn) return;

    await this.updateRemoteFlags();
    if (this.needRecovery !== undefined) {
      await this.recover(this.needRecovery);
      return;
    }
    const active = d.nodeMap.active();
    const lmasters = active.filter((n) => (n.capabilities & Capability.LMASTER) !== 0);
    if (d.vnnmap.map.length !== lmasters.length) {
      await this.recover(
        `vnnmap size ${d.vnnmap.map.length} != ${lmasters.length} active lmaster nodes`,
      );
      return;
    }
    for (const n of lmasters) {
      if (!d.vnnmap.map.includes(n.pnn)) {
        await this.recover(`node ${n.pnn} is not in the vnnmap`);
        return;
      }
    }
    for (const n of active) {
      const rm = await d.control(n.pnn, Control.GET_RECMODE, EMPTY, {
        timeoutMs: this.timeoutMs(),
      });
      if (rm.status !== RecoveryMode.NORMAL) {
        await this.recover(`node ${n.pnn} is in recovery mode`);
        return;
      }
      if (n.pnn === d.pnn) continue;
      const vr = await d.control(n.pnn, Control.GETVNNMAP, EMPTY, { timeoutMs: this.timeoutMs() });
      const v = vnnMapPayload.decode(vr.data);
      if (v.generation !== d.vnnmap.generation) {
        await this.recover(`node ${n.pnn} has generation ${v.generation}`);
        return;
      }
    }
  }

  /** Adopts every connected node's own flags and capabilities; re-pushes changed flags. */
  private async updateRemoteFlags(): Promise<void> {
    const d = this.d;
    await Promise.all(
      d.nodeMap.connected().map(async (n) => {
        if (n.pnn === d.pnn) return;
        try {
          const [nm, caps] = await Promise.all([
            d.control(n.pnn, Control.GET_NODEMAP, EMPTY, { timeoutMs: this.timeoutMs() }),
            d.control(n.pnn, Control.GET_CAPABILITIES, EMPTY, { timeoutMs: this.timeoutMs() }),
          ]);
          if (caps.status === 0) n.capabilities = u32Payload.decode(caps.data);
          const theirs = nodeMapPayload.decode(nm.data).nodes[n.pnn];
          if (theirs === undefined) return;
          const keepDisc = n.flags & 0x1;
          const flags = (theirs.flags & ~0x1) | keepDisc;
          if (flags !== n.flags) {
            const old = n.flags;
            n.flags = flags;
            d.pushFlags(n.pnn, old, flags);
          }
        } catch (err) {
          d.log.warning(`Unable to get nodemap from node ${n.pnn}: ${(err as Error).message}`);
        }
      }),
    );
  }

  private async all(
    pnns: readonly number[],
    opcode: number,
    data: Uint8Array,
    what: string,
  ): Promise<void> {
    const replies = await Promise.all(
      pnns.map((p) => d_control(this.d, p, opcode, data, this.timeoutMs())),
    );
    replies.forEach((r, i) => {
      if (r !== 0) throw new Error(`${what} failed on node ${pnns[i]} (${r})`);
    });
  }

  private async recover(reason: string): Promise<void> {
    const d = this.d;
    this.needRecovery = reason;
    if (this.recoveriesDisabled()) {
      d.log.notice(`Recoveries currently disabled - not starting a recovery (${reason})`);
      return;
    }
    const started = Date.now();
    d.log.notice(`Starting do_recovery: ${reason}`);
    const active = d.nodeMap.active().map((n) => n.pnn);
    const lmasters = d.nodeMap
      .active()
      .filter((n) => (n.capabilities & Capability.LMASTER) !== 0)
      .map((n) => n.pnn);
    const generation = d.newGeneration();
    await this.all(
      active,
      Control.SET_RECMODE,
      u32Payload.encode(RecoveryMode.ACTIVE),
      'SET_RECMODE ACTIVE',
    );
    await this.all(active, Control.START_RECOVERY, EMPTY, 'START_RECOVERY');
    await this.all(
      active,
      Control.SETVNNMAP,
      vnnMapPayload.encode({ generation, map: lmasters }),
      'SETVNNMAP',
    );
    await this.all(
      active,
      Control.SET_RECMODE,
      u32Payload.encode(RecoveryMode.NORMAL),
      'SET_RECMODE NORMAL',
    );
    await this.all(active, Control.END_RECOVERY, EMPTY, 'END_RECOVERY');
    this.needRecovery = undefined;
    d.log.notice(
      `Recovery complete: generation ${generation}, vnnmap [${lmasters.join(',')}], ${Date.now() - started} ms`,
    );
  }
}

async function d_control(
  d: Ctdbd,
  pnn: number,
  opcode: number,
  data: Uint8Array,
  timeoutMs: number,
): Promise<number> {
  try {
    const r = await d.control(pnn, opcode, data, { timeoutMs });
    return r.status;
  } catch {
    return -1;
  }
}
