// Starting, supervising and talking to the event daemon. By default it runs inside ctdbd
// (HostedEventd). With CTDBD_EVENTD_PROCESS=1, ctdbd starts `ctdb-eventd -P <pid> -S <fd>` as
// CTDB does and waits for a native unsigned 0 on the pipe; if the pipe later becomes readable
// or closes, eventd has gone away and ctdbd exits. Either way events are run over eventd's Unix
// socket with the event protocol (component `legacy`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EventdClient, EventdConnectionError } from '../eventd/client.js';
import { eventdPaths, socketPath as eventdSocketPath } from '../eventd/paths.js';
import { startEventd, type RunningEventd } from '../eventd/daemon.js';
import type { EventdLog } from '../eventd/log.js';
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

/**
 * Runs events (component `legacy`) over the event daemon's socket, connecting on first use and
 * again after a lost connection; a run the connection failed under answers EIO, as in CTDB.
 */
class EventdConnection {
  private client: Promise<EventdClient> | undefined;

  constructor(
    private readonly sockPath: string,
    private readonly log: Logger,
  ) {}

  async run(event: string, args: readonly string[], timeoutSeconds: number): Promise<number> {
    try {
      this.client ??= EventdClient.connect(this.sockPath);
      const client = await this.client;
      return await client.run(
        'legacy',
        event,
        args.length > 0 ? args.join(' ') : null,
        timeoutSeconds,
      );
    } catch (err) {
      if (!(err instanceof EventdConnectionError)) throw err;
      this.log.error(`event daemon: ${err.message}`);
      this.client = undefined;
      return 5; // EIO
    }
  }

  close(): void {
    void this.client?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.client = undefined;
  }
}

/** `ctdb-eventd` as its own process, as CTDB runs it (CTDBD_EVENTD_PROCESS=1). */
export class EventdChild implements EventRunner {
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly conn: EventdConnection,
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
    const e = new EventdChild(child, new EventdConnection(sockPath, log));
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

  run(event: string, args: readonly string[], timeoutSeconds: number): Promise<number> {
    return this.conn.run(event, args, timeoutSeconds);
  }

  stop(): void {
    this.stopping = true;
    this.conn.close();
    this.child.kill('SIGTERM');
  }
}

/**
 * The event daemon inside ctdbd's own process (the default). It is the same daemon — the same
 * socket, protocol and scripts' process groups, so `ctdb event …` and Debian's ctdb-event drive
 * it as before — without a second Node runtime per node (≈ 40 MB of memory and a second
 * start-up). Nothing is lost in robustness: scripts still run in their own processes, hung
 * TypeScript hooks in a worker thread that is terminated, and when the event daemon fails
 * ctdbd stops either way, as CTDB's ctdbd exits when its eventd goes away.
 */
export class HostedEventd implements EventRunner {
  private constructor(
    private readonly daemon: RunningEventd,
    private readonly conn: EventdConnection,
  ) {}

  /** `eventdLog` carries the event daemon's own lines (CTDB logs them as ctdb-eventd). */
  static async start(log: Logger, eventdLog: EventdLog): Promise<HostedEventd> {
    let daemon: RunningEventd;
    try {
      daemon = await startEventd({ env: process.env, hosted: true, log: eventdLog });
    } catch (err) {
      throw new EventdStartError(`Failed to initialize event daemon: ${(err as Error).message}`);
    }
    return new HostedEventd(daemon, new EventdConnection(daemon.socket, log));
  }

  run(event: string, args: readonly string[], timeoutSeconds: number): Promise<number> {
    return this.conn.run(event, args, timeoutSeconds);
  }

  stop(): void {
    this.conn.close();
    this.daemon.stop('ctdbd is stopping');
  }
}
