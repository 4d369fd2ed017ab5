// Warm worker threads that run TypeScript eventscripts in-process. One script runs per worker
// at a time; idle workers are kept for the next run. At the deadline (or on cancellation) the
// hook's signal is aborted and, after a short grace, the worker is terminated — whatever the
// hook is doing — and a fresh worker takes its place, so the daemon's own thread never waits.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Errno } from './errno.js';
import type { RunResult } from './types.js';
import type { FromWorker, ToWorker, TsItem } from './ts-messages.js';

export interface TsRunRequest {
  /** Consecutive TypeScript scripts of one event, in run order. */
  readonly items: readonly TsItem[];
  readonly event: string;
  readonly words: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly deadline: number;
  readonly cancel: AbortSignal;
  readonly runAll: boolean;
  /** Each complete non-empty output line of script `index`. */
  readonly onLine?: (index: number, line: string) => void;
}

/** One script's outcome within a batch. */
export interface TsOutcome extends RunResult {
  readonly begin: number;
  readonly end: number;
}

/** How long an aborted hook may take to return before its worker is terminated. */
const ABORT_GRACE_MS = 200;
/** How long a retiring worker may take to close its sockets and exit before it is terminated. */
const RETIRE_GRACE_MS = 1000;

/**
 * A small young generation for the worker's heap. V8 sizes it for throughput (up to 16 MB per
 * semi-space), and an eventscript run allocates little, so most of that would be resident
 * memory held for nothing between runs; with a few MB the scavenges stay cheap.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

function workerEntry(): { url: URL; viaTsx: boolean } {
  const ts = new URL('./ts-worker.ts', import.meta.url);
  if (import.meta.url.endsWith('.ts') && existsSync(fileURLToPath(ts)))
    return { url: ts, viaTsx: true };
  return { url: new URL('./ts-worker.js', import.meta.url), viaTsx: false };
}

class PoolWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  private listener: ((msg: FromWorker) => void) | undefined;
  private failure: ((err: Error) => void) | undefined;
  dead = false;
  /** The worker registered the TypeScript loader (see ts-worker.ts). */
  loader = false;

  constructor(onLoader?: (path: string) => void) {
    const entry = workerEntry();
    if (entry.viaTsx) {
      // Node 20 workers do not inherit --import, so load tsx first, then the TS entry.
      const tsx = import.meta.resolve('tsx/esm/api');
      const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.url.href)}); })`;
      this.worker = new Worker(code, { eval: true, resourceLimits: WORKER_LIMITS });
    } else {
      this.worker = new Worker(entry.url, { resourceLimits: WORKER_LIMITS });
    }
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker): void => {
        if (msg.type === 'ready') {
          resolve();
          return;
        }
        if (msg.type === 'loader') {
          this.loader = true;
          onLoader?.(msg.path);
          return;
        }
        this.listener?.(msg);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', (err) => {
        this.dead = true;
        reject(err);
        this.failure?.(err);
      });
      this.worker.on('exit', (code) => {
        this.dead = true;
        const err = new Error(`eventscript worker exited with code ${code}`);
        reject(err);
        this.failure?.(err);
      });
    });
    this.ready.catch(() => undefined);
  }

  listen(onMsg: (msg: FromWorker) => void, onFail: (err: Error) => void): void {
    this.listener = onMsg;
    this.failure = onFail;
  }

  post(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  /**
   * Ends the thread: first asks it to release its native resources and exit by itself, and
   * terminates it only if it does not (a hook stuck in a busy loop).
   */
  terminate(): void {
    this.dead = true;
    this.listener = undefined;
    this.failure = undefined;
    this.worker.postMessage({ type: 'retire' } satisfies ToWorker);
    const force = setTimeout(() => void this.worker.terminate(), RETIRE_GRACE_MS);
    force.unref();
    this.worker.once('exit', () => clearTimeout(force));
  }
}

/**
 * Keeps the rtnetlink addon loaded in the main thread once workers exist. A worker that used it
 * unloads it when it ends, and a socket handle still closing then calls into unmapped code
 * (SIGSEGV of the whole daemon); with the main thread holding the library it stays mapped.
 * Only the native library is loaded here (the `netlink` package's JavaScript costs ~10 MB), and
 * only with the first worker: a daemon running only shell scripts never needs it.
 */
let holdingNetlink = false;
function holdNetlinkAddon(): void {
  if (holdingNetlink) return;
  holdingNetlink = true;
  try {
    const main = createRequire(import.meta.url).resolve('netlink');
    // The package loads its binding this way (dist/raw.js): the same file, so the same handle.
    const load = createRequire(main)('node-gyp-build') as (dir: string) => unknown;
    load(dirname(dirname(main)));
  } catch {
    // netlink is not installed: no worker can load it either
  }
}

export class TsPool {
  private idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private nextId = 1;
  private started = 0;

  /**
   * No worker starts until a TypeScript script is about to run (see warm()); once started, up
   * to `maxIdle` stay warm. `onStart` is told each time a worker thread starts, `onLoader`
   * each time one registers the TypeScript loader, naming the script that needed it.
   */
  constructor(
    private readonly maxIdle = 2,
    private readonly onStart?: (live: number) => void,
    private readonly onLoader?: (path: string) => void,
  ) {}

  /** Starts a worker now so the first script does not pay for loading TypeScript. */
  warm(): void {
    if (this.idle.length === 0) this.idle.push(this.spawn());
  }

  /** Worker threads alive now (idle or running). */
  get live(): number {
    return this.all.size;
  }

  /** Live workers that have registered the TypeScript loader (each has a module-hooks thread). */
  get withLoader(): number {
    let n = 0;
    for (const w of this.all) if (w.loader) n++;
    return n;
  }

  /** Worker threads started since the pool was made. */
  get startedCount(): number {
    return this.started;
  }

  private spawn(): PoolWorker {
    holdNetlinkAddon();
    const w = new PoolWorker(this.onLoader);
    this.all.add(w);
    this.started++;
    this.onStart?.(this.all.size);
    return w;
  }

  private acquire(): PoolWorker {
    while (this.idle.length > 0) {
      const w = this.idle.pop()!;
      if (!w.dead) return w;
    }
    return this.spawn();
  }

  private release(w: PoolWorker): void {
    if (w.dead || this.idle.length >= this.maxIdle) this.discard(w);
    else this.idle.push(w);
  }

  private discard(w: PoolWorker): void {
    this.all.delete(w);
    w.terminate();
  }

  /**
   * Runs the scripts in one worker, in order, stopping after a failure unless runAll. Returns
   * the outcomes of the scripts that ran; at the deadline the script in progress is TIMEDOUT
   * (and on cancellation -EINTR) and the batch ends there.
   */
  async run(req: TsRunRequest): Promise<TsOutcome[]> {
    const w = this.acquire();
    const id = this.nextId++;
    const outcomes: TsOutcome[] = [];
    let output = '';
    let partial = '';
    let current = 0;
    let currentBegin = Date.now();
    const text = (s: string): string | null => (s.length === 0 ? null : s);
    const flushLines = (final: boolean): void => {
      if (req.onLine === undefined) return;
      const lines = partial.split('\n');
      partial = final ? '' : (lines.pop() ?? '');
      for (const l of lines) if (l.length > 0) req.onLine(current, l);
    };
    type End =
      { kind: 'finished' } | { kind: 'timeout' | 'cancel' } | { kind: 'fail'; message: string };
    let timer: NodeJS.Timeout | undefined;
    let onCancel: (() => void) | undefined;
    const end = await new Promise<End>((resolve) => {
      w.listen(
        (msg) => {
          if (msg.type === 'out' && msg.id === id) {
            output += msg.text;
            partial += msg.text;
            flushLines(false);
          } else if (msg.type === 'done' && msg.id === id) {
            flushLines(true);
            outcomes.push({
              result: msg.status,
              output: text(output),
              begin: msg.begin,
              end: msg.end,
            });
            output = '';
            current = msg.index + 1;
            currentBegin = msg.end;
          } else if (msg.type === 'finished' && msg.id === id) {
            resolve({ kind: 'finished' });
          }
        },
        (err) => resolve({ kind: 'fail', message: err.message }),
      );
      timer = setTimeout(
        () => resolve({ kind: 'timeout' }),
        Math.max(0, req.deadline - Date.now()),
      );
      onCancel = () => resolve({ kind: 'cancel' });
      if (req.cancel.aborted) onCancel();
      else req.cancel.addEventListener('abort', onCancel, { once: true });
      w.ready.then(
        () =>
          w.post({
            type: 'run',
            id,
            items: req.items,
            event: req.event,
            words: req.words,
            env: req.env,
            runAll: req.runAll,
          }),
        (err: unknown) => resolve({ kind: 'fail', message: String(err) }),
      );
    });
    clearTimeout(timer);
    if (onCancel !== undefined) req.cancel.removeEventListener('abort', onCancel);
    flushLines(true);
    if (end.kind === 'finished') {
      w.listen(
        () => undefined,
        () => undefined,
      );
      this.release(w);
      return outcomes;
    }
    const now = Date.now();
    if (end.kind === 'fail') {
      this.discard(w);
      if (current < req.items.length)
        outcomes.push({
          result: 1,
          output: text(`${output}${end.message}\n`),
          begin: currentBegin,
          end: now,
        });
      return outcomes;
    }
    // Deadline or cancellation: ask the hook to stop, then stop it regardless.
    w.listen(
      () => undefined,
      () => undefined,
    );
    w.post({ type: 'abort', id });
    this.all.delete(w);
    setTimeout(() => w.terminate(), ABORT_GRACE_MS).unref();
    this.warm();
    if (current < req.items.length)
      outcomes.push({
        result: end.kind === 'timeout' ? -Errno.ETIMEDOUT : -Errno.EINTR,
        output: text(output),
        begin: currentBegin,
        end: now,
      });
    return outcomes;
  }

  /** Terminates every worker (daemon shutdown). */
  close(): void {
    for (const w of this.all) w.terminate();
    this.all.clear();
    this.idle = [];
  }
}
