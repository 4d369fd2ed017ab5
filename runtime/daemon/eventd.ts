// Starting, supervising and talking to the event daemon. ctdbd starts `ctdb-eventd -P <pid>
// -S <fd>` and waits (10 s) for a native unsigned 0 on the pipe; if the pipe later becomes
// readable or closes, eventd has gone away and ctdbd exits, as CTDB does. Events are run over
// eventd's Unix socket with the event protocol (component `legacy`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Cmd, PacketFramer, decodeReply, encodeRequest } from '../eventd/protocol.js';
import { eventdPaths, socketPath as eventdSocketPath } from '../eventd/paths.js';
import type { Logger } from '../logging/index.js';
import { helperCommand, projectRoot } from '../paths/index.js';
import { join } from 'node:path';

/** Runs one event; resolves with 0, a positive errno, or a script's exit status. */
export interface EventRunner {
  run(event: string, args: readonly string[], timeoutSeconds: number): Promise<number>;
  stop(): void;
}

export class EventdStartError extends Error {
  override name = 'EventdStartError';
}

/** An event runner for when no event daemon is available: every event succeeds. */
export class NoEventRunner implements EventRunner {
  run(): Promise<number> {
    return Promise.resolve(0);
  }
  stop(): void {
    // nothing to stop
  }
}

export function eventdAvailable(): boolean {
  const root = projectRoot();
  return (
    existsSync(join(root, 'tools', 'ctdb-eventd.ts')) ||
    existsSync(join(root, 'dist', 'tools', 'ctdb-eventd.js'))
  );
}

export class EventdChild implements EventRunner {
  private socket: Socket | undefined;
  private readonly framer = new PacketFramer();
  private nextReqid = 1;
  private readonly pending = new Map<number, (result: number) => void>();
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly sockPath: string,
    private readonly log: Logger,
  ) {}

  /** Starts eventd and waits for its ready signal. `onGone` runs if it later exits. */
  static async start(log: Logger, onGone: () => void): Promise<EventdChild> {
    const [cmd, ...args] = helperCommand('ctdb-eventd');
    const child = spawn(cmd!, [...args, '-P', String(process.pid), '-S', '3'], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
      env: process.env,
    });
    const pipe = child.stdio[3] as Readable | null;
    if (pipe === null) throw new EventdStartError('no status pipe to ctdb-eventd');
    const ready = await new Promise<boolean>((resolve) => {
      let got = Buffer.alloc(0);
      // Generous: on a loaded machine a Node daemon can take several seconds to start.
      const timer = setTimeout(() => resolve(false), 30_000);
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4) {
          clearTimeout(timer);
          pipe.off('data', onData);
          resolve(got.readUInt32LE(0) === 0);
        }
      };
      pipe.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      child.kill('SIGKILL');
      throw new EventdStartError('Failed to initialize event daemon');
    }
    const sockPath = eventdSocketPath(eventdPaths(process.env));
    const e = new EventdChild(child, sockPath, log);
    // Anything further on the pipe, its closing (eventd keeps its end open while it runs), or
    // the child's exit means eventd went away, as in CTDB.
    let gone = false;
    const goneAway = (why: string): void => {
      if (e.stopping || gone) return;
      gone = true;
      log.error(`Eventd went away (${why}) - exiting`);
      onGone();
    };
    pipe.on('data', () => goneAway('wrote to its status pipe'));
    pipe.on('end', () => goneAway('closed its status pipe'));
    pipe.on('close', () => goneAway('closed its status pipe'));
    child.on('exit', (code, signal) => {
      const how = signal !== null ? `killed by ${signal}` : `exit status ${code ?? '?'}`;
      if (!e.stopping) log.error(`ctdb-eventd ended: ${how}`);
      goneAway(how);
    });
    child.unref();
    return e;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private async connection(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(this.sockPath, () => resolve(sock));
      sock.once('error', reject);
    });
    s.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = this.framer.push(chunk);
      } catch (err) {
        this.log.error(`bad packet from eventd: ${(err as Error).message}`);
        s.destroy();
        return;
      }
      for (const p of packets) {
        try {
          const { header, reply } = decodeReply(p);
          const done = this.pending.get(header.reqid);
          this.pending.delete(header.reqid);
          done?.(reply.result);
        } catch (err) {
          this.log.error(`bad reply from eventd: ${(err as Error).message}`);
        }
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      for (const done of this.pending.values()) done(5 /* EIO */);
      this.pending.clear();
    });
    this.socket = s;
    return s;
  }

  async run(event: string, args: readonly string[], timeoutSeconds: number): Promise<number> {
    const s = await this.connection();
    const reqid = this.nextReqid++;
    return new Promise<number>((resolve) => {
      this.pending.set(reqid, resolve);
      s.write(
        encodeRequest(reqid, {
          cmd: Cmd.RUN,
          component: 'legacy',
          event,
          args: args.length > 0 ? args.join(' ') : null,
          timeout: timeoutSeconds,
          flags: 0,
        }),
      );
    });
  }

  stop(): void {
    this.stopping = true;
    this.socket?.destroy();
    this.child.kill('SIGTERM');
  }
}
