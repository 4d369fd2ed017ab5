// Decides how each discovered script runs: CTDB's checks first (stat, owner-execute), then a
// TypeScript eventscript (recognised by its shebang) goes to the in-process worker pool and
// anything else is exec'd.
import { realpathSync, statSync } from 'node:fs';
import { hasEventScriptShebang } from '../../lib/eventscript/shebang.js';
import { Errno } from './errno.js';
import { execErrno, runExecScript } from './exec-runner.js';
import { ownerExecutable } from './discovery.js';
import type { TsPool } from './ts-pool.js';
import type { ForkServer } from './fork-server.js';
import type { TsItem } from './ts-messages.js';
import type { RunResult } from './types.js';

export interface ScriptRunners {
  readonly pool: TsPool;
  /** Folder for exec'd scripts' (unlinked) output files: the daemon's run dir. */
  readonly outputDir: string;
  /** Forks exec'd scripts cheaply; optional (Node's spawn otherwise). */
  readonly forks?: ForkServer;
}

/** How a script will run, decided just before it runs (as CTDB stats it again then). */
export type ScriptPlan =
  | { readonly kind: 'settled'; readonly result: number }
  | { readonly kind: 'ts'; readonly item: TsItem }
  | { readonly kind: 'exec' };

export function planScript(name: string, path: string): ScriptPlan {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return { kind: 'settled', result: execErrno(-((err as NodeJS.ErrnoException).errno ?? -Errno.ENOENT)) };
  }
  if (!ownerExecutable(st.mode)) return { kind: 'settled', result: -Errno.ENOEXEC };
  if (st.isFile() && hasEventScriptShebang(path)) {
    try {
      return {
        kind: 'ts',
        item: { scriptPath: path, realPath: realpathSync(path), version: st.mtimeMs, scriptName: name },
      };
    } catch {
      return { kind: 'exec' };
    }
  }
  return { kind: 'exec' };
}

export interface ExecScriptRequest {
  readonly name: string;
  readonly path: string;
  readonly event: string;
  readonly words: readonly string[];
  readonly deadline: number;
  readonly cancel: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  readonly onLine?: (line: string) => void;
}

export function runExec(req: ExecScriptRequest, runners: ScriptRunners): Promise<RunResult> {
  return runExecScript(
    {
      path: req.path,
      name: req.name,
      argv: [req.event, ...req.words],
      deadline: req.deadline,
      cancel: req.cancel,
      env: req.env,
      ...(req.onLine === undefined ? {} : { onLine: req.onLine }),
    },
    runners.outputDir,
    runners.forks,
  );
}
