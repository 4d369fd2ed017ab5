// The hung-script hook (`[event] debug script` in ctdb.conf): when a script overruns the
// deadline, run `<etcdir>/<debug script> <pid> <event>` once at a time with no time limit, log
// its output, then SIGTERM the hung script's process group. Without it the hung script is
// left running, as CTDB leaves it.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { killGroup } from './exec-runner.js';
import type { EventdLog } from './log.js';

export class DebugScriptError extends Error {
  override name = 'DebugScriptError';
}

/** Validates the configured name as CTDB does: `<etcdir>/basename(value)`, a u+x regular file. */
export function resolveDebugScript(etcDir: string, value: string): string {
  const path = join(etcDir, basename(value));
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DebugScriptError(`debug script ${path} does not exist`);
  }
  if (!st.isFile()) throw new DebugScriptError(`debug script ${path} is not a file`);
  if ((st.mode & 0o100) === 0) throw new DebugScriptError(`debug script ${path} is not executable`);
  return path;
}

export class HungScriptDebugger {
  private busy = false;

  constructor(
    private readonly script: string | undefined,
    private readonly log: EventdLog,
  ) {}

  /** Called for a timed-out exec script whose process is still running. */
  handle(pid: number, event: string): void {
    if (this.script === undefined || this.busy) return;
    this.busy = true;
    const child = spawn(this.script, [String(pid), event], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let buf = '';
    const onData = (c: Buffer): void => {
      buf += c.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) this.log.error(`event_debug: ${l}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const done = (): void => {
      if (buf.length > 0) this.log.error(`event_debug: ${buf}`);
      this.busy = false;
      killGroup(pid, 'SIGTERM');
    };
    child.once('error', done);
    child.once('close', done);
  }
}
