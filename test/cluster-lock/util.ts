// Shared by the cluster-lock tests: run helpers and the stand-in parent (fixtures/hold.ts),
// capture their output, and clean up by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const root = resolve(import.meta.dirname, '../..');
const tsxUrl = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;

/** argv that runs a TypeScript file of this repository in one node process. */
export function tsNode(file: string, ...args: string[]): string[] {
  return [process.execPath, '--import', tsxUrl, join(root, file), ...args];
}

const started = new Set<ChildProcess>();

/** A process whose stdout+stderr we keep; killed by PID in `killAll`. */
export class Proc {
  out = '';
  /** stdout alone (the status byte of a helper run directly). */
  stdout = '';
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Like `exited`, but only once its output has been read to the end. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stderr alone. */
  stderr = '';

  constructor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    started.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      this.stdout += d;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      this.stderr += d;
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', (code, signal) => {
        started.delete(this.child);
        r({ code, signal });
      }),
    );
    this.closed = new Promise((r) => this.child.on('close', (code, signal) => r({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.match(pattern);
      if (m !== null) return m;
      if (!this.running) {
        await sleep(50); // let the last output arrive
        const last = this.out.match(pattern);
        if (last !== null) return last;
        throw new Error(`exited before ${pattern}; output:\n${this.out}`);
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; output:\n${this.out}`);
      await sleep(10);
    }
  }

  kill(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The stand-in parent holding a mutex through runtime/cluster-lock. */
export function hold(helper: readonly string[], timeoutMs = 0): Proc {
  return new Proc(tsNode('test/cluster-lock/fixtures/hold.ts', String(timeoutMs), ...helper));
}

/** Waits for hold's status line; returns the status and the helper's pid. */
export async function heldStatus(
  p: Proc,
  timeoutMs = 30_000,
): Promise<{ status: string; helperPid: number }> {
  const m = await p.waitFor(/^status (\d) (\d+) \d+$/m, timeoutMs);
  return { status: m[1]!, helperPid: Number(m[2]) };
}

/** Polls `check` every 5 ms until it is true; returns the elapsed ms, or throws at the limit. */
export async function timeUntil(
  check: () => boolean | Promise<boolean>,
  limitMs: number,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (await check()) return performance.now() - t0;
    await sleep(5);
  }
  throw new Error(`${what} did not happen within ${limitMs} ms`);
}

export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return false;
}

export function killAll(): void {
  for (const c of started) {
    try {
      if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
