// The daemon's request handling: decode packets from each client connection, dispatch RUN /
// STATUS / SCRIPT to the components, and reply (possibly out of order, matched by reqid). A
// packet that does not decode is logged and that client is disconnected; nothing a client
// sends can stop the daemon.
import { createServer, type Server, type Socket } from 'node:net';
import { Errno } from './errno.js';
import { chmodScript } from './script-admin.js';
import { checkComponentDir, Component, type ComponentDeps } from './component.js';
import { componentEtcDir, type EventdPaths } from './paths.js';
import {
  Cmd,
  decodeRequest,
  encodeReply,
  PacketFramer,
  ProtocolError,
  RUN_ALL,
  timevalFromMs,
  type Reply,
  type Request,
} from './protocol.js';

export class EventdServer {
  private readonly components = new Map<string, Component>();
  private readonly server: Server;
  private readonly clients = new Set<Socket>();

  constructor(
    private readonly paths: EventdPaths,
    private readonly deps: ComponentDeps,
  ) {
    this.server = createServer((sock) => this.serve(sock));
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.deps.log.error(`socket error: ${err.message}`));
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
    for (const c of this.clients) c.destroy();
  }

  /** The component for `name`, created on first use if its folder exists. */
  private component(name: string): Component | number {
    const have = this.components.get(name);
    if (have !== undefined) return have;
    const dir = componentEtcDir(this.paths, name);
    const err = checkComponentDir(dir);
    if (err !== 0) return err;
    const c = new Component(name, dir, this.deps);
    this.components.set(name, c);
    return c;
  }

  private serve(sock: Socket): void {
    this.clients.add(sock);
    const framer = new PacketFramer();
    sock.on('close', () => this.clients.delete(sock));
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
      } catch (err) {
        this.reject(sock, chunk.length, err);
        return;
      }
      for (const packet of packets) {
        let decoded;
        try {
          decoded = decodeRequest(packet);
        } catch (err) {
          this.reject(sock, packet.length, err);
          return;
        }
        const { header, request } = decoded;
        this.handle(request).then(
          (reply) => {
            if (!sock.destroyed) sock.write(encodeReply(header.reqid, reply));
          },
          (err: unknown) => {
            this.deps.log.error(`request failed: ${String(err)}`);
            if (!sock.destroyed)
              sock.write(encodeReply(header.reqid, { cmd: request.cmd, result: Errno.EIO }));
          },
        );
      }
    });
  }

  private reject(sock: Socket, length: number, err: unknown): void {
    const why = err instanceof ProtocolError ? err.message : String(err);
    this.deps.log.error(`Invalid packet received, buflen=${length} (${why})`);
    this.deps.log.error(`client read failed with ret=${Errno.EPROTO}`);
    sock.destroy();
  }

  private async handle(req: Request): Promise<Reply> {
    const name = req.component ?? '';
    if (req.cmd === Cmd.RUN) {
      const deadline = Date.now() + req.timeout * 1000;
      const c = this.component(name);
      if (typeof c === 'number') return { cmd: req.cmd, result: Errno.ENOENT };
      const result = await c.run({
        event: req.event ?? '',
        args: req.args,
        deadline,
        runAll: (req.flags & RUN_ALL) !== 0,
      });
      return { cmd: req.cmd, result };
    }
    if (req.cmd === Cmd.STATUS) {
      const c = this.component(name);
      if (typeof c === 'number') return { cmd: req.cmd, result: Errno.ENOENT };
      if (checkComponentDir(c.dir) !== 0) return { cmd: req.cmd, result: Errno.ENOENT };
      const outcome = c.status(req.event ?? '');
      if (outcome === undefined) return { cmd: req.cmd, result: Errno.EINVAL };
      return {
        cmd: req.cmd,
        result: 0,
        status: {
          summary: outcome.summary,
          scripts: outcome.scripts.map((s) => ({
            name: s.name,
            begin: timevalFromMs(s.begin),
            end: timevalFromMs(s.end),
            result: s.result,
            output: s.output,
          })),
        },
      };
    }
    const c = this.component(name);
    if (typeof c === 'number') return { cmd: req.cmd, result: Errno.ENOENT };
    const r = chmodScript(c.dir, req.script ?? '', req.enable);
    return {
      cmd: req.cmd,
      result: r === 0 || r === Errno.ENOENT || r === Errno.EINVAL ? r : Errno.EPROTO,
    };
  }
}
