// Watches one node's state for the cold-start bench: a client connection to the node's Unix
// socket, registered for LEADER broadcasts and asking for the node map, vnnmap and recovery
// mode every 100 ms. A one-shot probe has to wait up to a second for the next leader broadcast
// and then reports the state from when it asked, so "all OK" would be seen up to a second late,
// for CTDB and for us alike; this sees it within one poll. Works against any daemon speaking
// CTDB's protocol (ours and CTDB 4.17).
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DestNode, Operation, Srvid, UNKNOWN_PNN } from '../../runtime/protocol/constants.js';
import { Control } from '../../runtime/protocol/controls.js';
import { FrameParser } from '../../runtime/protocol/framing.js';
import { decodePacket, encodeReqControl } from '../../runtime/protocol/packets.js';
import { nodeMapPayload, u32Payload, vnnMapPayload } from '../../runtime/protocol/payloads.js';
import type { NodeProbe } from '../../tools/local-cluster.js';

const POLL_MS = 100;
const REQ = { pnn: 1, nodemap: 2, vnnmap: 3, recmode: 4, register: 5 } as const;

export class HealthWatcher {
  private sock: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private pnn: number | undefined;
  private flags: number[] | undefined;
  private generation: number | undefined;
  private recmode: number | undefined;
  private leader = UNKNOWN_PNN;

  constructor(private readonly socketPath: string) {
    void this.connectLoop();
  }

  /** The latest complete view, or undefined before the first full answer. */
  get state(): NodeProbe | undefined {
    if (
      this.pnn === undefined ||
      this.flags === undefined ||
      this.generation === undefined ||
      this.recmode === undefined
    )
      return undefined;
    return {
      pnn: this.pnn,
      flags: this.flags,
      generation: this.generation,
      recmode: this.recmode,
      leader: this.leader,
    };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.sock?.destroy();
  }

  /** Connects as soon as the daemon listens (tries every 50 ms), then polls until closed. */
  private async connectLoop(): Promise<void> {
    while (!this.closed) {
      const sock = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(this.socketPath);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (sock !== undefined) {
        this.watch(sock);
        return;
      }
      await sleep(50);
    }
  }

  private watch(sock: Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    this.sock = sock;
    const parser = new FrameParser({
      onFrame: (frame) => {
        const p = decodePacket(frame);
        if (p.operation === Operation.REQ_MESSAGE && p.srvid === Srvid.LEADER) {
          this.leader = u32Payload.decode(p.data);
          return;
        }
        if (p.operation !== Operation.REPLY_CONTROL || p.status < 0) return;
        const id = p.header.reqid;
        if (id === REQ.pnn) this.pnn = p.status;
        else if (id === REQ.nodemap)
          this.flags = nodeMapPayload.decode(p.data).nodes.map((n) => n.flags);
        else if (id === REQ.vnnmap) this.generation = vnnMapPayload.decode(p.data).generation;
        else if (id === REQ.recmode) this.recmode = p.status;
      },
      onError: () => sock.destroy(),
    });
    sock.on('data', (c: Buffer) => parser.push(c));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(this.timer);
      // A daemon that restarted its socket: watch the new one.
      if (!this.closed) void this.connectLoop();
    });
    const ask = (reqid: number, opcode: number, srvid = 0n): void => {
      if (!sock.destroyed)
        sock.write(encodeReqControl({ destnode: DestNode.CURRENT_NODE, reqid, opcode, srvid }));
    };
    ask(REQ.register, Control.REGISTER_SRVID, Srvid.LEADER);
    const poll = (): void => {
      ask(REQ.pnn, Control.GET_PNN);
      ask(REQ.nodemap, Control.GET_NODEMAP);
      ask(REQ.vnnmap, Control.GETVNNMAP);
      ask(REQ.recmode, Control.GET_RECMODE);
    };
    poll();
    this.timer = setInterval(poll, POLL_MS);
  }
}
