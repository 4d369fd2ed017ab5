// Watches one node's LEADER broadcasts, as `ctdb leader` does: a client connection to the node's
// Unix socket registered for SRVID_LEADER. Every node's recovery daemon broadcasts its own PNN
// once a second while it leads, so the first broadcast naming a new node after a fault is when
// the cluster's clients can learn the new leader. Works against any daemon speaking CTDB's
// protocol (ours and CTDB 4.17). The socket is a file, so this runs in the caller's process
// whatever namespace the node is in.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DestNode, Operation, Srvid, UNKNOWN_PNN } from '../../runtime/protocol/constants.js';
import { Control } from '../../runtime/protocol/controls.js';
import { FrameParser } from '../../runtime/protocol/framing.js';
import { decodePacket, encodeReqControl } from '../../runtime/protocol/packets.js';
import { u32Payload } from '../../runtime/protocol/payloads.js';

export interface LeaderBroadcast {
  /** ms since the epoch (fractional), the same clock as the address prober's now(). */
  readonly t: number;
  readonly leader: number;
}

export class LeaderWatchError extends Error {
  override name = 'LeaderWatchError';
}

export class LeaderWatcher {
  private readonly seen: LeaderBroadcast[] = [];
  private closed = false;

  private constructor(
    readonly socketPath: string,
    private readonly sock: Socket,
  ) {}

  /** Connects and registers; resolves once the daemon has accepted the registration. */
  static async start(socketPath: string, timeoutMs = 5000): Promise<LeaderWatcher> {
    const sock = connect(socketPath);
    const watcher = new LeaderWatcher(socketPath, sock);
    let registered: ((ok: boolean) => void) | undefined;
    const done = new Promise<boolean>((resolve) => (registered = resolve));
    const parser = new FrameParser({
      onFrame: (frame) => {
        const p = decodePacket(frame);
        if (p.operation === Operation.REQ_MESSAGE && p.srvid === Srvid.LEADER) {
          const t = performance.timeOrigin + performance.now();
          watcher.seen.push({ t, leader: u32Payload.decode(p.data) });
        } else if (p.operation === Operation.REPLY_CONTROL) {
          registered?.(p.status === 0);
        }
      },
      onError: () => sock.destroy(),
    });
    sock.on('data', (c: Buffer) => parser.push(c));
    sock.on('error', () => registered?.(false));
    sock.on('close', () => {
      watcher.closed = true;
      registered?.(false);
    });
    sock.once('connect', () => {
      sock.write(
        encodeReqControl({
          destnode: DestNode.CURRENT_NODE,
          reqid: 1,
          opcode: Control.REGISTER_SRVID,
          srvid: Srvid.LEADER,
        }),
      );
    });
    const ok = await Promise.race([done, sleep(timeoutMs).then(() => false)]);
    if (!ok) {
      sock.destroy();
      throw new LeaderWatchError(`could not register for leader broadcasts on ${socketPath}`);
    }
    return watcher;
  }

  /** Broadcasts received so far. */
  broadcasts(): readonly LeaderBroadcast[] {
    return this.seen;
  }

  /** The first broadcast at or after t0 naming a leader not in `exclude` (and not UNKNOWN). */
  firstLeaderSince(t0: number, exclude: readonly number[] = []): LeaderBroadcast | undefined {
    return this.seen.find(
      (b) => b.t >= t0 && b.leader !== UNKNOWN_PNN && !exclude.includes(b.leader),
    );
  }

  /** False once the daemon closed the connection (it died or was restarted). */
  get alive(): boolean {
    return !this.closed;
  }

  stop(): void {
    this.sock.destroy();
  }
}

/**
 * Waits until one of `watchers` has seen a leader other than `exclude` at or after t0; returns
 * ms from t0 and the new leader. Throws LeaderWatchError after timeoutMs.
 */
export async function newLeaderSince(
  watchers: readonly LeaderWatcher[],
  t0: number,
  exclude: readonly number[],
  timeoutMs: number,
): Promise<{ ms: number; leader: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hits = watchers
      .map((w) => w.firstLeaderSince(t0, exclude))
      .filter((b): b is LeaderBroadcast => b !== undefined)
      .sort((a, b) => a.t - b.t);
    const first = hits[0];
    if (first !== undefined) return { ms: first.t - t0, leader: first.leader };
    if (Date.now() > deadline)
      throw new LeaderWatchError(`no new leader broadcast within ${timeoutMs} ms`);
    if (watchers.every((w) => !w.alive))
      throw new LeaderWatchError('every watched node closed its socket');
    await sleep(20);
  }
}
