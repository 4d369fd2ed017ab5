// One component (`events/<name>/`): its FIFO queue of events, the rules for cancelling
// monitors, the sequential run of its scripts under one absolute deadline, and the last
// completed outcome of each event (CTDB 4.17: the list stops at the first failing script).
import { statSync } from 'node:fs';
import { discoverScripts } from './discovery.js';
import { Errno } from './errno.js';
import type { HungScriptDebugger } from './debug-script.js';
import type { EventdLog } from './log.js';
import { planScript, runExecs, type ScriptPlan, type ScriptRunners } from './script-runner.js';
import type { DiscoveredScript } from './discovery.js';
import { continuesRun, type EventOutcome, type ScriptOutcome } from './types.js';

export interface RunOrder {
  readonly event: string;
  /** The request's argument string (split on spaces for the scripts), or null. */
  readonly args: string | null;
  /** Absolute deadline, ms since the epoch, fixed when the request arrived. */
  readonly deadline: number;
  readonly runAll: boolean;
}

interface Job extends RunOrder {
  readonly cancel: AbortController;
  readonly resolve: (result: number) => void;
  cancelled: boolean;
}

export interface ComponentDeps {
  readonly runners: ScriptRunners;
  readonly log: EventdLog;
  readonly debugger: HungScriptDebugger;
  readonly env: NodeJS.ProcessEnv;
}

/** Checks the component folder: 0, or ENOENT/ENOTDIR as CTDB answers. */
export function checkComponentDir(dir: string): number {
  try {
    return statSync(dir).isDirectory() ? 0 : Errno.ENOTDIR;
  } catch {
    return Errno.ENOENT;
  }
}

/** The words a script receives after the event: the args split on spaces (strtok). */
export function splitArgs(args: string | null): string[] {
  return args === null ? [] : args.split(' ').filter((w) => w.length > 0);
}

export class Component {
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private readonly outcomes = new Map<string, EventOutcome>();

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly deps: ComponentDeps,
  ) {}

  /** Queues an event; resolves with the reply result (0, ETIMEDOUT, ENOEXEC, ECANCELED, ENOENT). */
  run(order: RunOrder): Promise<number> {
    return new Promise((resolve) => {
      const running = this.current;
      if (running !== undefined && running.event === 'monitor') {
        this.cancel(running);
      } else if (running !== undefined && order.event === 'monitor') {
        resolve(Errno.ECANCELED);
        return;
      }
      this.queue.push({ ...order, cancel: new AbortController(), resolve, cancelled: false });
      this.next();
    });
  }

  /** The last completed outcome of `event`, or undefined if it never completed. */
  status(event: string): EventOutcome | undefined {
    return this.outcomes.get(event);
  }

  private cancel(job: Job): void {
    job.cancelled = true;
    job.cancel.abort();
    job.resolve(Errno.ECANCELED);
  }

  private next(): void {
    if (this.current !== undefined) return;
    const job = this.queue.shift();
    if (job === undefined) return;
    this.current = job;
    void this.execute(job)
      .then(
        (result) => {
          if (!job.cancelled) job.resolve(result);
        },
        (err: unknown) => {
          this.deps.log.error(`event ${job.event} in ${this.name} failed: ${String(err)}`);
          if (!job.cancelled) job.resolve(Errno.EIO);
        },
      )
      .finally(() => {
        this.current = undefined;
        this.next();
      });
  }

  private async execute(job: Job): Promise<number> {
    const { log } = this.deps;
    const dirErr = checkComponentDir(this.dir);
    if (dirErr !== 0) return Errno.ENOENT;
    let scripts;
    try {
      scripts = discoverScripts(this.dir);
    } catch {
      return Errno.ENOENT;
    }
    log.debug(`Running event ${job.event} with args "${job.args ?? ''}"`);
    const plans = scripts.map(planScript);
    // Load TypeScript now, while any shell scripts before the first TypeScript one run.
    if (plans.some((p) => p.kind === 'ts')) this.deps.runners.pool.warm();
    const words = splitArgs(job.args);
    const done: ScriptOutcome[] = [];
    let summary = 0;
    let stop = false;
    /** Records one outcome; false when the run must stop here. */
    const record = (o: ScriptOutcome, hungPid?: number): boolean => {
      done.push(o);
      if (o.result === -Errno.ETIMEDOUT && hungPid !== undefined)
        this.deps.debugger.handle(hungPid, job.event);
      if (!continuesRun(o.result)) {
        summary = o.result;
        if (!job.runAll) return false;
      }
      return true;
    };
    let i = 0;
    while (i < scripts.length && !stop && !job.cancelled) {
      const script = scripts[i]!;
      const begin = Date.now();
      const plan = plans[i]!;
      if (plan.kind === 'settled') {
        stop = !record({
          name: script.name,
          begin,
          end: Date.now(),
          result: plan.result,
          output: null,
        });
        i++;
        continue;
      }
      if (plan.kind === 'exec') {
        // A run of consecutive exec'd scripts goes to the fork server as one batch.
        const batch = [script];
        for (let j = i + 1; j < scripts.length; j++) {
          if (plans[j]!.kind !== 'exec') break;
          batch.push(scripts[j]!);
        }
        for (const s of batch) log.debug(`Running ${s.path} with args "${s.name} ${job.event}"`);
        const outcomes = await runExecs(
          {
            scripts: batch,
            event: job.event,
            words,
            deadline: job.deadline,
            cancel: job.cancel.signal,
            env: this.deps.env,
            runAll: job.runAll,
            onLine: (index, line) => log.error(`${batch[index]?.name ?? '?'}: ${line}`),
          },
          this.deps.runners,
        );
        if (job.cancelled) break;
        for (const [k, o] of outcomes.entries()) {
          stop = !record(
            {
              name: batch[k]!.name,
              begin: o.begin,
              end: o.end,
              result: o.result,
              output: o.output,
            },
            o.hungPid,
          );
          if (stop) break;
        }
        i += Math.max(1, outcomes.length);
        continue;
      }
      // A run of consecutive TypeScript scripts goes to one worker in one message.
      const batch: { script: DiscoveredScript; plan: Extract<ScriptPlan, { kind: 'ts' }> }[] = [
        { script, plan },
      ];
      for (let j = i + 1; j < scripts.length; j++) {
        const next = plans[j]!;
        if (next.kind !== 'ts') break;
        batch.push({ script: scripts[j]!, plan: next });
      }
      const outcomes = await this.deps.runners.pool.run({
        items: batch.map((b) => b.plan.item),
        event: job.event,
        words,
        env: this.deps.env,
        deadline: job.deadline,
        cancel: job.cancel.signal,
        runAll: job.runAll,
        onLine: (index, line) => log.error(`${batch[index]?.script.name ?? '?'}: ${line}`),
      });
      if (job.cancelled) break;
      for (const [k, o] of outcomes.entries()) {
        stop = !record({
          name: batch[k]!.script.name,
          begin: o.begin,
          end: o.end,
          result: o.result,
          output: o.output,
        });
        if (stop) break;
      }
      // A timeout ends the batch early; later scripts (RUN_ALL) continue past the deadline.
      i += Math.max(1, outcomes.length);
    }
    if (job.cancelled) return Errno.ECANCELED;
    this.outcomes.set(job.event, { summary, scripts: done });
    if (summary === 0) return 0;
    if (summary === -Errno.ETIMEDOUT) {
      log.notice(`${job.event} event timed out`);
      return Errno.ETIMEDOUT;
    }
    log.notice(`${job.event} event failed`);
    return Errno.ENOEXEC;
  }
}
