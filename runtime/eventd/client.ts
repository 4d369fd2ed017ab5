// A typed client for the event daemon's socket (CTDB 4.17 event protocol).
//
// Usage (e.g. from ctdbd):
//   const client = await EventdClient.connect(socketPath(eventdPaths()));
//   const result = await client.run('legacy', 'monitor', null, 30);   // 0, ETIMEDOUT, …
//   const status = await client.status('legacy', 'monitor');          // { result, status? }
//   client.close();
// `run` resolves with the daemon's result: 0 OK, ETIMEDOUT (110), ECANCELED (125), ENOEXEC (8:
// a script failed), ENOENT (2: no such component), EIO (5). Several requests may be in flight
// on one connection; replies are matched by request id. A lost connection rejects every
// pending request with EventdConnectionError.
import { connect, type Socket } from 'node:net';
import {
  Cmd,
  decodeReply,
  encodeRequest,
  PacketFramer,
  RUN_ALL,
  type Reply,
  type Request,
  type StatusBody,
} from './protocol.js';

export class EventdConnectionError extends Error {
  override name = 'EventdConnectionError';
}

export interface RunOptions {
  /** Keep running scripts after one fails (CTDB_EVENT_RUN_ALL). */
  readonly runAll?: boolean;
}

export class EventdClient {
  private readonly pending = new Map<
    number,
    { resolve: (r: Reply) => void; reject: (e: Error) => void }
  >();
  private nextReqid = 1;
  private readonly framer = new PacketFramer();

  private constructor(private readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = this.framer.push(chunk);
      } catch (err) {
        this.fail(new EventdConnectionError(`bad reply: ${(err as Error).message}`));
        return;
      }
      for (const p of packets) {
        try {
          const { header, reply } = decodeReply(p);
          const waiter = this.pending.get(header.reqid);
          this.pending.delete(header.reqid);
          waiter?.resolve(reply);
        } catch (err) {
          this.fail(new EventdConnectionError(`bad reply: ${(err as Error).message}`));
          return;
        }
      }
    });
    sock.on('error', (err) => this.fail(new EventdConnectionError(err.message)));
    sock.on('close', () => this.fail(new EventdConnectionError('connection closed')));
  }

  /** Connects to the daemon's socket; rejects with EventdConnectionError if it cannot. */
  static connect(path: string): Promise<EventdClient> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      sock.once('connect', () => resolve(new EventdClient(sock)));
      sock.once('error', (err) =>
        reject(new EventdConnectionError(`socket connect failed - ${path}: ${err.message}`)),
      );
    });
  }

  private fail(err: Error): void {
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
    this.sock.destroy();
  }

  private send(req: Request): Promise<Reply> {
    const reqid = this.nextReqid++ >>> 0;
    return new Promise((resolve, reject) => {
      if (this.sock.destroyed) {
        reject(new EventdConnectionError('connection closed'));
        return;
      }
      this.pending.set(reqid, { resolve, reject });
      this.sock.write(encodeRequest(reqid, req));
    });
  }

  /** Runs `event` in `component`; `args` is the space-separated argument string (or null). */
  async run(
    component: string,
    event: string,
    args: string | null,
    timeoutSeconds: number,
    options: RunOptions = {},
  ): Promise<number> {
    const reply = await this.send({
      cmd: Cmd.RUN,
      component,
      event,
      args,
      timeout: Math.max(0, Math.trunc(timeoutSeconds)),
      flags: options.runAll === true ? RUN_ALL : 0,
    });
    return reply.result;
  }

  /** The last completed run of `event`: result 0 with the script list, ENOENT or EINVAL. */
  async status(component: string, event: string): Promise<{ result: number; status?: StatusBody }> {
    const reply = await this.send({ cmd: Cmd.STATUS, component, event });
    return reply.status === undefined
      ? { result: reply.result }
      : { result: reply.result, status: reply.status };
  }

  /** Enables/disables a local script by chmod (the daemon's SCRIPT command). */
  async script(component: string, script: string, enable: boolean): Promise<number> {
    const reply = await this.send({ cmd: Cmd.SCRIPT, component, script, enable });
    return reply.result;
  }

  close(): void {
    this.sock.end();
  }
}
