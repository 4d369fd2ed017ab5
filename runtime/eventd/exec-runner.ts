// Runs executable eventscripts — the consecutive ones of an event, as one batch — the way CTDB's
// run_proc does: each in its own process group, stdout and stderr on one descriptor (a pipe read
// by the fork server, or an unlinked file without it: output-file.ts), argv[0] = the script's
// name, the event and its words as arguments, the daemon's environment; the exit status decoded
// with CTDB's rules, including the quirk that an exit code of 64..254 is read as "exec failed
// with errno code-64". At the deadline the result is -ETIMEDOUT and the process is left running
// (CTDB kills it only via the debug script, or at shutdown); a cancelled run kills the whole group.
import { spawn } from 'node:child_process';
import { Errno } from './errno.js';
import { OutputFile } from './output-file.js';
import type { BatchRun, ForkServer } from './fork-server.js';
import { continuesRun, outputText, type RunResult } from './types.js';

export interface ExecBatchRequest {
  /** Consecutive exec'd scripts of one event, in run order. */
  readonly items: readonly { readonly path: string; readonly name: string }[];
  /** The event and its words: what every script gets after argv[0]. */
  readonly argv: readonly string[];
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  /** Aborting it kills the running script's process group (monitor cancellation). */
  readonly cancel: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  /** Keep going after a failing script (RUN_ALL). */
  readonly runAll: boolean;
  /** Each complete non-empty output line of script `index`, for the daemon's log. */
  readonly onLine?: (index: number, line: string) => void;
}

/** One script's outcome within a batch. */
export interface ExecOutcome extends RunResult {
  readonly begin: number;
  readonly end: number;
}

/** Process groups of scripts still running (hung ones included), killed at shutdown. */
export const liveGroups = new Set<number>();

/** CTDB's decoding of how a script process ended (run_proc.c + run_event.c). */
export function decodeExit(code: number | null, signal: string | null): number {
  if (signal !== null || code === null) return -Errno.EINTR;
  if (code >= 64 && code < 255) return execErrno(code - 64);
  return code;
}

/** A failed exec (or the 64+errno exit) as a script result: EACCES reads as disabled. */
export function execErrno(errno: number): number {
  if (errno === 0) return 0;
  if (errno === Errno.EACCES) return -Errno.ENOEXEC;
  return -errno;
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Logs each complete non-empty line of `text` (once the script is done). */
function logLines(
  text: string | null,
  index: number,
  onLine: ((index: number, line: string) => void) | undefined,
): void {
  if (text === null || onLine === undefined) return;
  for (const l of text.split('\n')) if (l.length > 0) onLine(index, l);
}

/** Exit codes after which a run goes on to the next script (decoded as OK or disabled). */
const CONTINUE_CODES = Array.from({ length: 256 }, (_, c) => c).filter((c) =>
  continuesRun(decodeExit(c, null)),
);

type End = 'done' | 'timeout' | 'cancel';

/** Resolves with whichever comes first: `done`, the deadline, or cancellation. */
async function race(deadline: number, cancel: AbortSignal, done: Promise<unknown>): Promise<End> {
  let timer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  const end = await new Promise<End>((resolve) => {
    void done.then(() => resolve('done'));
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    onCancel = () => resolve('cancel');
    if (cancel.aborted) onCancel();
    else cancel.addEventListener('abort', onCancel, { once: true });
  });
  clearTimeout(timer);
  if (onCancel !== undefined) cancel.removeEventListener('abort', onCancel);
  return end;
}

/**
 * Runs the scripts in order, stopping after a failure unless runAll. Returns the outcomes of
 * the scripts that ran; at the deadline the script in progress is TIMEDOUT (left running, its
 * pid as hungPid) and on cancellation it is killed with its group (-EINTR); either ends the batch.
 */
export function runExecBatch(
  req: ExecBatchRequest,
  outputDir: string,
  forks?: ForkServer,
): Promise<ExecOutcome[]> {
  return (
    (forks?.available === true ? runForked(req, forks) : undefined) ?? runSpawned(req, outputDir)
  );
}

/**
 * Through the fork server: it runs the batch; we collect each end as it comes. Undefined when
 * the server cannot take it (an argument it cannot carry, or it just went away).
 */
function runForked(req: ExecBatchRequest, forks: ForkServer): Promise<ExecOutcome[]> | undefined {
  const outcomes: ExecOutcome[] = [];
  let last = Date.now();
  let run: BatchRun;
  try {
    run = forks.runBatch({
      scripts: req.items.map((i) => ({ path: i.path, argv0: i.name })),
      args: req.argv,
      runAll: req.runAll,
      continueCodes: CONTINUE_CODES,
      onEnd: (index, end, bytes) => {
        const now = Date.now();
        const output = outputText(bytes);
        logLines(output, index, req.onLine);
        const signal = end.signal === null ? null : String(end.signal);
        outcomes.push({ result: decodeExit(end.code, signal), output, begin: last, end: now });
        last = now;
      },
    });
  } catch {
    return undefined;
  }
  return finishForked(req, run, outcomes, () => last);
}

async function finishForked(
  req: ExecBatchRequest,
  run: BatchRun,
  outcomes: ExecOutcome[],
  lastEnd: () => number,
): Promise<ExecOutcome[]> {
  const how = await race(req.deadline, req.cancel, run.done);
  if (how === 'cancel') run.cancel();
  else if (how === 'timeout') run.stop();
  const { running } = await run.done;
  if (running === undefined) return outcomes;
  const now = Date.now();
  const last = lastEnd();
  if (how === 'cancel') {
    killGroup(running.pid, 'SIGKILL');
    outcomes.push({ result: -Errno.EINTR, output: null, begin: last, end: now });
    return outcomes;
  }
  // Timed out: keep what it printed so far; the process stays (see the debug script).
  liveGroups.add(running.pid);
  void running.ended.then(() => liveGroups.delete(running.pid));
  const output = outputText(running.output);
  logLines(output, running.index, req.onLine);
  outcomes.push({
    result: -Errno.ETIMEDOUT,
    output,
    begin: last,
    end: now,
    hungPid: running.pid,
  });
  return outcomes;
}

/** Without the fork server: Node's spawn, one script at a time. */
async function runSpawned(req: ExecBatchRequest, outputDir: string): Promise<ExecOutcome[]> {
  const outcomes: ExecOutcome[] = [];
  for (const [index, item] of req.items.entries()) {
    const begin = Date.now();
    const r = await runOneSpawned(req, item, index, outputDir);
    outcomes.push({ ...r, begin, end: Date.now() });
    if (r.result === -Errno.ETIMEDOUT || req.cancel.aborted) break;
    if (!req.runAll && !continuesRun(r.result)) break;
  }
  return outcomes;
}

/** One script with Node's spawn, its output through an unlinked file (output-file.ts). */
async function runOneSpawned(
  req: ExecBatchRequest,
  item: { readonly path: string; readonly name: string },
  index: number,
  outputDir: string,
): Promise<RunResult> {
  const out = new OutputFile(outputDir);
  let child;
  try {
    child = spawn(item.path, req.argv, {
      argv0: item.name,
      detached: true,
      stdio: ['inherit', out.fd, out.fd],
      env: req.env,
    });
  } catch (err) {
    out.close();
    const errno = -((err as NodeJS.ErrnoException).errno ?? -Errno.ENOEXEC);
    return { result: execErrno(errno), output: null };
  }
  const c = child;
  const pid = c.pid;
  const exited = new Promise<number>((resolve) => {
    c.once('error', (err: NodeJS.ErrnoException) =>
      resolve(execErrno(-(err.errno ?? -Errno.ENOEXEC))),
    );
    c.once('exit', (code, signal) => resolve(decodeExit(code, signal)));
  });
  if (pid !== undefined) {
    liveGroups.add(pid);
    void exited.then(() => liveGroups.delete(pid));
  }
  const how = await race(req.deadline, req.cancel, exited);
  if (how === 'cancel') {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    out.close();
    return { result: -Errno.EINTR, output: null };
  }
  const output = outputText(out.read());
  logLines(output, index, req.onLine);
  if (how === 'done') {
    out.close();
    return { result: await exited, output };
  }
  void exited.then(() => out.close());
  return pid === undefined
    ? { result: -Errno.ETIMEDOUT, output }
    : { result: -Errno.ETIMEDOUT, output, hungPid: pid };
}
