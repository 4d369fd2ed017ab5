// Keepalive bookkeeping, independent of sockets: the transport counts packets received from
// each peer, and every KeepaliveInterval this class decides per peer whether to send a
// keepalive, declare the peer dead (KeepaliveLimit silent intervals), or revive it.

/** What the keepalive logic needs from the transport. */
export interface KeepaliveLink {
  /** Packets received from the peer since the last call; resets the count. */
  takeReceived(pnn: number): number;
  /** Sends one keepalive packet to the peer. */
  sendKeepalive(pnn: number): void;
  /** Declares the peer dead (DISCONNECTED) after too many silent intervals. */
  peerDead(pnn: number): void;
}

export interface KeepalivePeer {
  readonly pnn: number;
  readonly connected: boolean;
}

export class Keepalives {
  private readonly deadCount = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: KeepaliveLink,
    private readonly peers: () => readonly KeepalivePeer[],
    private readonly settings: () => { intervalSeconds: number; limit: number },
  ) {}

  /** One keepalive round (called every KeepaliveInterval). */
  tick(): void {
    const { limit } = this.settings();
    for (const peer of this.peers()) {
      const received = this.link.takeReceived(peer.pnn);
      if (!peer.connected) {
        this.deadCount.set(peer.pnn, 0);
        continue;
      }
      const dead = received === 0 ? (this.deadCount.get(peer.pnn) ?? 0) + 1 : 0;
      this.deadCount.set(peer.pnn, dead);
      if (dead >= limit) {
        this.deadCount.set(peer.pnn, 0);
        this.link.peerDead(peer.pnn);
      }
      this.link.sendKeepalive(peer.pnn);
    }
  }

  start(): void {
    this.stop();
    const schedule = (): void => {
      const s = Math.max(this.settings().intervalSeconds, 1);
      this.timer = setTimeout(() => {
        this.tick();
        schedule();
      }, s * 1000);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
