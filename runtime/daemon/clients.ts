// The Unix socket local clients (the `ctdb` tool, helpers, smbd) connect to. The socket file is
// root-only (mode 0700 on the file). Each connection is framed into CTDB packets; a packet
// with a bad header is logged and dropped, a stream whose length field cannot be trusted is
// logged and the connection closed. The daemon never stops on client input.
import { chmodSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logging/index.js';
import { FramingError } from '../protocol/errors.js';
import { FrameParser } from '../protocol/framing.js';
import { decodePacket, type Packet } from '../protocol/packets.js';

export class LocalClient {
  readonly srvids = new Set<bigint>();
  /** REGISTER_NOTIFY: messages broadcast to the cluster when this client disconnects. */
  readonly notify = new Map<bigint, Uint8Array>();
  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly pid: number | undefined,
  ) {}

  send(packet: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(packet);
  }
}

export interface ClientHandler {
  packet(client: LocalClient, packet: Packet): void;
  gone(client: LocalClient): void;
}

/** True if something already answers on the socket (another daemon running). */
export function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ClientServer {
  readonly clients = new Set<LocalClient>();
  private server: Server | undefined;
  private nextId = 1;

  constructor(
    private readonly path: string,
    private readonly handler: ClientHandler,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<void> {
    rmSync(this.path, { force: true });
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o700);
    server.on('error', (err) => this.log.error(`client socket error: ${err.message}`));
    this.server = server;
  }

  private accept(s: Socket): void {
    const client = new LocalClient(this.nextId++, s, undefined);
    this.clients.add(client);
    const parser = new FrameParser({
      onFrame: (f) => {
        let packet: Packet;
        try {
          packet = decodePacket(f);
        } catch (err) {
          this.log.error(`Dropped bad packet from client ${client.id}: ${(err as Error).message}`);
          return;
        }
        try {
          this.handler.packet(client, packet);
        } catch (err) {
          this.log.error(
            `Error handling packet from client ${client.id}: ${(err as Error).message}`,
          );
        }
      },
      onError: (err) => {
        this.log.error(`Bad data from client ${client.id}: ${err.message}`);
        if (err instanceof FramingError) s.destroy();
      },
    });
    s.on('data', (chunk: Buffer) => parser.push(chunk));
    s.on('error', () => undefined);
    s.on('close', () => {
      this.clients.delete(client);
      this.handler.gone(client);
    });
  }

  close(): void {
    for (const c of this.clients) c.socket.destroy();
    this.server?.close();
    rmSync(this.path, { force: true });
  }
}
