// Running one external program, the way every toolkit module does it: no shell, arguments as
// an array, output captured, the hook's AbortSignal honoured, and any failure turned into a
// CommandError carrying the command, arguments, exit code and stderr.
import { spawn } from 'node:child_process';
import { CommandError } from '../errors/index.js';

export interface RunOptions {
  /** Text written to the program's stdin (default: none, stdin is /dev/null). */
  readonly input?: string;
  /** Aborting kills the program (SIGTERM) and rejects with a CommandError. */
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Exit codes that count as success besides 0 (e.g. 98 for `ctdb checktcpport`). */
  readonly okCodes?: readonly number[];
  /** Kill the program after this many milliseconds. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args…`; resolves on exit code 0 (or one of `okCodes`), else rejects with CommandError. */
export async function run(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runAllowingFailure(command, args, opts);
  if (r.exitCode === 0 || opts.okCodes?.includes(r.exitCode) === true) return r;
  throw new CommandError(command, args, r.exitCode, r.stderr, r.stdout);
}

/**
 * Runs a program and resolves with its exit code whatever it is. Only a failure to start it
 * or a kill (signal, abort, timeout) rejects, as a CommandError.
 */
export function runAllowingFailure(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted === true) {
      reject(new CommandError(command, args, null, '', '', 'SIGTERM', 'aborted before start'));
      return;
    }
    const child = spawn(command, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      signal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let spawnError: string | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      // An abort also arrives here (AbortError); keep the first reason.
      spawnError ??= err.code ?? err.message;
    });
    if (opts.input !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => undefined); // the program may exit without reading
      child.stdin.end(opts.input);
    }
    child.on('close', (code, sig) => {
      if (code !== null && spawnError === undefined) {
        resolve({ exitCode: code, stdout, stderr });
        return;
      }
      reject(
        new CommandError(
          command,
          args,
          code,
          stderr,
          stdout,
          sig,
          sig === null ? spawnError : undefined,
        ),
      );
    });
  });
}
