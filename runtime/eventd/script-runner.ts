// Decides how each discovered script runs: CTDB's checks first (stat, owner-execute), then a
// TypeScript eventscript (recognised by its shebang) goes to the in-process worker pool and
// anything else is exec'd.
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { hasEventScriptShebang } from '../../lib/eventscript/shebang.js';
import { Errno } from './errno.js';
import { execErrno, runExecBatch, type ExecOutcome } from './exec-runner.js';
import { discoverScripts, ownerExecutable, type DiscoveredScript } from './discovery.js';
import type { TsPool } from './ts-pool.js';
import type { ForkServer } from './fork-server.js';
import type { TsItem } from './ts-messages.js';

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

/** Shebang/realpath answers per file version, so an unchanged script is not re-read each run. */
const tsCache = new Map<string, { key: string; realPath: string | undefined }>();

/**
 * How `script` runs, from the stat taken when the folder was read: a stat error or missing
 * owner-execute bit settles it (CANNOT RUN / DISABLED); a file starting with the eventscript
 * shebang runs in-process; anything else is exec'd.
 */
export function planScript(script: DiscoveredScript): ScriptPlan {
  const st = script.stat;
  if ('errno' in st) return { kind: 'settled', result: execErrno(st.errno) };
  if (!ownerExecutable(st.mode)) return { kind: 'settled', result: -Errno.ENOEXEC };
  if (!st.isFile) return { kind: 'exec' };
  const key = `${st.dev}:${st.ino}:${st.mtimeMs}`;
  let hit = tsCache.get(script.path);
  if (hit?.key !== key) {
    let realPath: string | undefined;
    if (hasEventScriptShebang(script.path)) {
      try {
        realPath = realpathSync.native(script.path);
      } catch {
        realPath = undefined;
      }
    }
    hit = { key, realPath };
    tsCache.set(script.path, hit);
  }
  if (hit.realPath === undefined) return { kind: 'exec' };
  return {
    kind: 'ts',
    item: {
      scriptPath: script.path,
      realPath: hit.realPath,
      version: st.mtimeMs,
      scriptName: script.name,
    },
  };
}

export interface ExecScriptsRequest {
  /** Consecutive exec'd scripts, in run order. */
  readonly scripts: readonly DiscoveredScript[];
  readonly event: string;
  readonly words: readonly string[];
  readonly deadline: number;
  readonly cancel: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  readonly runAll: boolean;
  readonly onLine?: (index: number, line: string) => void;
}

export function runExecs(req: ExecScriptsRequest, runners: ScriptRunners): Promise<ExecOutcome[]> {
  return runExecBatch(
    {
      items: req.scripts.map((s) => ({ path: s.path, name: s.name })),
      argv: [req.event, ...req.words],
      deadline: req.deadline,
      cancel: req.cancel,
      env: req.env,
      runAll: req.runAll,
      ...(req.onLine === undefined ? {} : { onLine: req.onLine }),
    },
    runners.outputDir,
    runners.forks,
  );
}

/** True when some component under `eventsDir` has an enabled TypeScript eventscript. */
export function anyTypeScriptScript(eventsDir: string): boolean {
  let components: string[];
  try {
    components = readdirSync(eventsDir);
  } catch {
    return false;
  }
  return components.some((c) => {
    try {
      return discoverScripts(join(eventsDir, c)).some((s) => planScript(s).kind === 'ts');
    } catch {
      return false; // not a folder, or unreadable
    }
  });
}
