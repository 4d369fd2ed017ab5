// Node-to-node TCP as CTDB does it: listen on our own private address (port 4379); open one
// outgoing connection to every other live node, bound to our address, retrying every second;
// accept incoming connections only from node addresses we know, one per node. A node is
// connected when both directions are up; we send on the outgoing socket and receive on the
// incoming one. Any error or EOF on either side marks the node disconnected at once.
import { EventEmitter } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import type { Logger } from '../logging/index.js';
import { FramingError } from '../protocol/errors.js';
import { FrameParser } from '../protocol/framing.js';

export const CTDB_PORT = 4379;

export interface TransportNode {
  readonly pnn: number;
  readonly address: string;
  readonly deleted: boolean;
}

interface Peer {
  node: TransportNode;
  out: Socket | undefined;
  outUp: boolean;
  in: Socket | undefined;
  connected: boolean;
  retry: NodeJS.Timeout | undefined;
  received: number;
}

export interface TransportEvents {
  connected: [pnn: number];
  disconnected: [pnn: number];
  packet: [pnn: number, frame: Buffer];
}

function normalise(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/** Tries to listen on each address in order; the first that binds is ours. */
export async function bindFirst(
  addresses: readonly { pnn: number; address: string }[],
  port: number,
): Promise<{ pnn: number; server: Server } | undefined> {
  for (const a of addresses) {
    // Until the transport takes the listener over, refuse connections: a peer whose
    // connection is accepted but never read would believe it is connected. It retries in 1 s.
    const server = createServer((early) => early.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host: a.address, port, exclusive: true }, () => resolve(true));
    });
    if (ok) return { pnn: a.pnn, server };
    server.close();
  }
  return undefined;
}

export class NodeTransport extends EventEmitter<TransportEvents> {
  private readonly peers = new Map<number, Peer>();
  private stopped = false;

  constructor(
    private readonly self: TransportNode,
    nodes: readonly TransportNode[],
    private readonly server: Server,
    private readonly port: number,
    private readonly log: Logger,
  ) {
    super();
    this.setNodes(nodes);
    server.removeAllListeners('connection');
    server.on('connection', (s) => this.onIncoming(s));
    server.on('error', (err) => this.log.error(`transport listener error: ${err.message}`));
  }

  /** Adopts a (re)loaded node list: new peers get connections, deleted ones are dropped. */
  setNodes(nodes: readonly TransportNode[]): void {
    for (const n of nodes) {
      if (n.pnn === this.self.pnn) continue;
      const existing = this.peers.get(n.pnn);
      if (existing !== undefined) {
        if (existing.node.address === n.address && existing.node.deleted === n.deleted) continue;
        this.drop(existing, 'node list changed');
        this.peers.delete(n.pnn);
      }
      if (n.deleted) continue;
      const peer: Peer = {
        node: n,
        out: undefined,
        outUp: false,
        in: undefined,
        connected: false,
        retry: undefined,
        received: 0,
      };
      this.peers.set(n.pnn, peer);
      if (!this.stopped) this.connectOut(peer);
    }
  }

  isConnected(pnn: number): boolean {
    return this.peers.get(pnn)?.connected === true;
  }

  takeReceived(pnn: number): number {
    const p = this.peers.get(pnn);
    if (p === undefined) return 0;
    const n = p.received;
    p.received = 0;
    return n;
  }

  /** Sends a packet to a connected peer; false if it is not connected. */
  send(pnn: number, packet: Buffer): boolean {
    const p = this.peers.get(pnn);
    if (p?.connected !== true || p.out === undefined) return false;
    p.out.write(packet);
    return true;
  }

  /** Tears both connections to a peer down (keepalive death, or a fatal packet). */
  kill(pnn: number, why: string): void {
    const p = this.peers.get(pnn);
    if (p !== undefined) this.drop(p, why);
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.peers.values()) {
      if (p.retry !== undefined) clearTimeout(p.retry);
      p.out?.destroy();
      p.in?.destroy();
    }
    this.server.close();
  }

  private connectOut(peer: Peer): void {
    if (this.stopped) return;
    const s = new Socket();
    peer.out = s;
    peer.outUp = false;
    s.setNoDelay(true);
    s.setKeepAlive(true);
    s.on('error', () => undefined);
    s.on('close', () => {
      if (peer.out !== s) return;
      const wasUp = peer.outUp;
      peer.out = undefined;
      peer.outUp = false;
      if (wasUp) this.drop(peer, 'outgoing connection closed');
      this.scheduleRetry(peer);
    });
    // Nothing is read on the outgoing side; drain anything a peer might send.
    s.on('data', () => undefined);
    s.connect({ host: peer.node.address, port: this.port, localAddress: this.self.address }, () => {
      if (peer.out !== s) return;
      peer.outUp = true;
      this.log.debug(`outgoing connection to node ${peer.node.pnn} up`);
      this.updateConnected(peer);
    });
  }

  private scheduleRetry(peer: Peer): void {
    if (this.stopped || peer.retry !== undefined || this.peers.get(peer.node.pnn) !== peer) return;
    peer.retry = setTimeout(() => {
      peer.retry = undefined;
      if (peer.out === undefined) this.connectOut(peer);
    }, 1000);
  }

  private onIncoming(s: Socket): void {
    const from = normalise(s.remoteAddress);
    const peer = [...this.peers.values()].find((p) => p.node.address === from);
    if (peer === undefined) {
      this.log.error(`Refused connection from unknown address ${from}`);
      s.destroy();
      return;
    }
    if (peer.in !== undefined) {
      this.log.error(`Refused second incoming connection from node ${peer.node.pnn} (${from})`);
      s.destroy();
      return;
    }
    peer.in = s;
    s.setNoDelay(true);
    s.setKeepAlive(true);
    // A peer that connects to us is listening: connect back now rather than at the next retry
    // (at start-up, the nodes that came up first would otherwise wait up to a second).
    if (peer.out === undefined && peer.retry !== undefined) {
      clearTimeout(peer.retry);
      peer.retry = undefined;
      this.connectOut(peer);
    }
    const parser = new FrameParser({
      onFrame: (f) => {
        peer.received++;
        try {
          this.emit('packet', peer.node.pnn, Buffer.from(f.buffer, f.byteOffset, f.byteLength));
        } catch (err) {
          this.log.error(`Error handling packet from node ${peer.node.pnn}: ${String(err)}`);
        }
      },
      onError: (err) => {
        this.log.error(`Bad data from node ${peer.node.pnn}: ${err.message}`);
        if (err instanceof FramingError) this.drop(peer, 'framing error');
      },
    });
    s.on('data', (chunk: Buffer) => {
      if (peer.in === s) parser.push(chunk);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (peer.in !== s) return;
      peer.in = undefined;
      this.drop(peer, 'incoming connection closed');
    });
    this.updateConnected(peer);
  }

  private updateConnected(peer: Peer): void {
    if (!peer.connected && peer.outUp && peer.in !== undefined) {
      peer.connected = true;
      this.log.notice(`Node ${peer.node.address} is now connected (pnn ${peer.node.pnn})`);
      this.emit('connected', peer.node.pnn);
    }
  }

  /** Marks a peer dead at once and restarts its outgoing connection. */
  private drop(peer: Peer, why: string): void {
    const wasConnected = peer.connected;
    peer.connected = false;
    const inSock = peer.in;
    peer.in = undefined;
    inSock?.destroy();
    const out = peer.out;
    if (out !== undefined) {
      peer.out = undefined;
      peer.outUp = false;
      out.destroy();
      this.scheduleRetry(peer);
    }
    if (wasConnected) {
      this.log.notice(
        `Node ${peer.node.address} is now disconnected (pnn ${peer.node.pnn}): ${why}`,
      );
      this.emit('disconnected', peer.node.pnn);
    }
  }
}
