// The parent side of a cluster mutex: run a helper, read its one status byte, and watch it.
//
// States and the loss rule, explicitly:
//   pending  → held       the helper wrote '0'
//   pending  → contended  '1'; failed: '3', no byte before EOF, or it could not start;
//            → timed-out  no byte within the timeout (the parent's own '2')
//   held     → lost       EOF on the helper's stdout or its exit — the ONLY loss rule; later
//                         output is ignored. 'lost' is emitted once.
//   any      → released   release(): SIGTERM to the helper; no 'lost' follows.
// A helper that did not take the mutex is sent SIGTERM too, since it has no further use.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { MutexStatus, parseStatusByte } from './status.js';

export type ClusterMutexState =
  'pending' | 'held' | 'contended' | 'timed-out' | 'failed' | 'lost' | 'released';

export interface TakeResult {
  status: MutexStatus;
  /** Milliseconds from start to the status (or to the timeout). */
  latencyMs: number;
  /** Why the status is an error or timeout, when the parent decided it. */
  detail?: string;
}

export type LossReason = 'helper exited' | 'helper closed its output';

export interface ClusterMutexOptions {
  /** The helper command (see helperArgv). */
  argv: readonly string[];
  /** Time to wait for the status byte, in ms; 0 waits forever. CTDB: 120 s, 5 s for recmode. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Each line the helper writes to stderr (default: copied to our stderr). */
  onStderr?: (line: string) => void;
}

export class ClusterMutex extends EventEmitter {
  private innerState: ClusterMutexState = 'pending';
  private readonly child: ChildProcess | undefined;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lossReason: LossReason | undefined;
  private settle!: (r: TakeResult) => void;
  /** Resolves once with the status byte (or the parent's own '2'/'3'). */
  readonly result: Promise<TakeResult>;

  get state(): ClusterMutexState {
    return this.innerState;
  }

  /** The helper's pid (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the helper. Await `result`, then listen for 'lost' if it is held. */
  static take(options: ClusterMutexOptions): ClusterMutex {
    return new ClusterMutex(options);
  }

  private constructor(options: ClusterMutexOptions) {
    super();
    this.result = new Promise((resolve) => (this.settle = resolve));
    const [cmd, ...args] = options.argv;
    if (cmd === undefined) {
      this.child = undefined;
      this.finish('failed', { status: MutexStatus.Error, detail: 'empty helper command' });
      return;
    }
    // Node's spawn gives the child default signal dispositions, as CTDB's fork does.
    const child = spawn(cmd, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onStderr = options.onStderr ?? ((line: string) => void process.stderr.write(`${line}\n`));
    let errBuf = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      errBuf += d;
      const lines = errBuf.split('\n');
      errBuf = lines.pop() ?? '';
      for (const l of lines) onStderr(l);
    });
    child.stderr.on('end', () => {
      if (errBuf !== '') onStderr(errBuf);
      errBuf = '';
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.innerState !== 'pending') return; // later output is ignored
      const status = parseStatusByte(chunk[0]);
      this.onStatus(status);
    });
    child.stdout.on('end', () => this.onEof('helper closed its output'));
    child.on('error', (err) => {
      if (this.innerState === 'pending')
        this.finish('failed', {
          status: MutexStatus.Error,
          detail: `cannot run ${cmd}: ${err.message}`,
        });
    });
    // Before the status, only EOF counts: the exit can be reported before the byte is read.
    child.on('exit', () => {
      if (this.innerState === 'held') this.onEof('helper exited');
    });
    if (options.timeoutMs > 0) {
      this.timer = setTimeout(() => {
        if (this.innerState !== 'pending') return;
        this.finish('timed-out', {
          status: MutexStatus.Timeout,
          detail: `no status from the helper in ${options.timeoutMs} ms`,
        });
      }, options.timeoutMs);
    }
  }

  private onStatus(status: MutexStatus): void {
    switch (status) {
      case MutexStatus.Held:
        this.finish('held', { status });
        return;
      case MutexStatus.Contended:
        this.finish('contended', { status });
        return;
      case MutexStatus.Timeout:
        this.finish('timed-out', { status });
        return;
      case MutexStatus.Error:
        this.finish('failed', { status });
        return;
    }
  }

  private onEof(reason: LossReason): void {
    if (this.innerState === 'pending') {
      this.finish('failed', {
        status: MutexStatus.Error,
        detail: 'the helper ended without a status',
      });
    } else if (this.innerState === 'held') {
      this.innerState = 'lost';
      this.lossReason = reason;
      this.emit('lost', reason);
    }
  }

  private finish(state: ClusterMutexState, r: Omit<TakeResult, 'latencyMs'>): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.innerState = state;
    if (state !== 'held') this.terminate();
    this.settle({ ...r, latencyMs: Date.now() - this.started });
  }

  /** Releases the mutex (or abandons the attempt): SIGTERM to the helper. Idempotent. */
  release(): void {
    if (this.innerState === 'pending')
      this.finish('released', { status: MutexStatus.Error, detail: 'released before a status' });
    else if (this.innerState === 'held') this.innerState = 'released';
    this.terminate();
  }

  /**
   * Resolves when a held mutex is lost (at once if it already was); never resolves if the
   * mutex is released or was never held. An alternative to the 'lost' event that cannot miss it.
   */
  whenLost(): Promise<LossReason> {
    if (this.innerState === 'lost') return Promise.resolve(this.lossReason ?? 'helper exited');
    return new Promise((resolve) => this.once('lost', resolve));
  }

  /** Resolves when the helper process has exited (at once if it never ran). */
  exited(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }

  private terminate(): void {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
  }

  /** 'lost': the helper went away after reporting the mutex held. */
  override on(event: 'lost', listener: (reason: LossReason) => void): this {
    return super.on(event, listener);
  }

  override once(event: 'lost', listener: (reason: LossReason) => void): this {
    return super.once(event, listener);
  }
}
