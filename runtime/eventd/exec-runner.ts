// Runs one executable eventscript the way CTDB's run_proc does: its own process group,
// stdout and stderr on one descriptor (see output-file.ts), argv[0] = the script's name, the event and its words as
// arguments, the daemon's environment; the exit status decoded with CTDB's rules, including
// the quirk that an exit code of 64..254 is read as "exec failed with errno code-64".
// At the deadline the result is -ETIMEDOUT and the process is left running (CTDB kills it only
// via the debug script, or at shutdown); a cancelled run kills the whole group.
import { spawn } from 'node:child_process';
import { Errno } from './errno.js';
import { OutputFile } from './output-file.js';
import type { ForkServer } from './fork-server.js';
import { outputText, type RunResult } from './types.js';

export interface ExecRequest {
  readonly path: string;
  readonly name: string;
  readonly argv: readonly string[];
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  /** Aborting it kills the script's process group (monitor cancellation). */
  readonly cancel: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  /** Each complete non-empty output line, for the daemon's log. */
  readonly onLine?: (line: string) => void;
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
function logLines(text: string | null, onLine: ((line: string) => void) | undefined): void {
  if (text === null || onLine === undefined) return;
  for (const l of text.split('\n')) if (l.length > 0) onLine(l);
}

interface Started {
  readonly pid: number | undefined;
  readonly exited: Promise<number>;
  /** Called once the run no longer waits for the process (timed out). */
  readonly onLaterExit: (fn: () => void) => void;
}

/** Starts the script through the fork server, or with Node's spawn when it is not there. */
async function start(
  req: ExecRequest,
  out: OutputFile,
  forks: ForkServer | undefined,
): Promise<Started> {
  if (forks?.available === true) {
    try {
      const f = await forks.start(
        req.path,
        req.name,
        req.argv,
        `/proc/${process.pid}/fd/${out.fd}`,
      );
      const exited = f.exit.then(({ code, signal }) =>
        decodeExit(code, signal === null ? null : String(signal)),
      );
      return { pid: f.pid, exited, onLaterExit: (fn) => void exited.then(fn) };
    } catch {
      // fall back to spawning ourselves
    }
  }
  let child;
  try {
    child = spawn(req.path, req.argv, {
      argv0: req.name,
      detached: true,
      stdio: ['inherit', out.fd, out.fd],
      env: req.env,
    });
  } catch (err) {
    const result = execErrno(-((err as NodeJS.ErrnoException).errno ?? -Errno.ENOEXEC));
    return { pid: undefined, exited: Promise.resolve(result), onLaterExit: (fn) => fn() };
  }
  const c = child;
  const exited = new Promise<number>((resolve) => {
    c.once('error', (err: NodeJS.ErrnoException) =>
      resolve(execErrno(-(err.errno ?? -Errno.ENOEXEC))),
    );
    c.once('exit', (code, signal) => resolve(decodeExit(code, signal)));
  });
  return { pid: c.pid, exited, onLaterExit: (fn) => void exited.then(fn) };
}

export async function runExecScript(
  req: ExecRequest,
  outputDir: string,
  forks?: ForkServer,
): Promise<RunResult> {
  const out = new OutputFile(outputDir);
  const child = await start(req, out, forks);
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);

  type End = { kind: 'exit'; result: number } | { kind: 'timeout' } | { kind: 'cancel' };
  let timer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  const end = await new Promise<End>((resolve) => {
    void child.exited.then((result) => {
      if (pid !== undefined) liveGroups.delete(pid);
      resolve({ kind: 'exit', result });
    });
    timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, req.deadline - Date.now()));
    onCancel = () => resolve({ kind: 'cancel' });
    if (req.cancel.aborted) onCancel();
    else req.cancel.addEventListener('abort', onCancel, { once: true });
  });
  clearTimeout(timer);
  if (onCancel !== undefined) req.cancel.removeEventListener('abort', onCancel);
  if (end.kind === 'cancel') {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    out.close();
    return { result: -Errno.EINTR, output: null };
  }
  const output = outputText(out.read());
  logLines(output, req.onLine);
  if (end.kind === 'exit') {
    out.close();
    return { result: end.result, output };
  }
  // Timed out: keep what it printed so far; the process stays (see the debug script).
  child.onLaterExit(() => out.close());
  return pid === undefined
    ? { result: -Errno.ETIMEDOUT, output }
    : { result: -Errno.ETIMEDOUT, output, hungPid: pid };
}
