// Which scripts a component has, found afresh for every run as CTDB does (common/event_script.c):
// names matching `[0-9][0-9].*.script` (fnmatch without flags, so `*` spans dots), sorted
// bytewise (strcoll in the C locale), enabled when stat() succeeds and the owner-execute bit is
// set. Anything else in the folder (READMEs, editor backups, sub-folders that do not match)
// is ignored; a broken link or unreadable script is kept and reported when it is run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface DiscoveredScript {
  /** File name without `.script`, e.g. `10.interface`. */
  readonly name: string;
  readonly path: string;
  readonly enabled: boolean;
  /** What stat() said (following links), or the errno it failed with (positive). */
  readonly stat: ScriptStat | { readonly errno: number };
}

export interface ScriptStat {
  readonly mode: number;
  readonly isFile: boolean;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly dev: number;
}

const SCRIPT_NAME = /^[0-9][0-9]\..*\.script$/s;

/** True when a file name is one CTDB treats as an event script. */
export function isScriptFileName(file: string): boolean {
  return SCRIPT_NAME.test(file);
}

/** Bytewise comparison of names, as strcmp/alphasort in the C locale. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** True when a mode has the owner-execute bit. */
export function ownerExecutable(mode: number): boolean {
  return (mode & 0o100) !== 0;
}

/**
 * Lists a component folder's scripts in run order. Errors reading the folder itself
 * (ENOENT, ENOTDIR, EACCES) are thrown as the Node error; per-script problems are not.
 */
export function discoverScripts(dir: string): DiscoveredScript[] {
  // Synchronous on purpose: a handful of local syscalls, cheaper than thread-pool round trips.
  const files = readdirSync(dir).filter(isScriptFileName).sort(compareBytes);
  return files.map((file) => {
    const path = join(dir, file);
    let st: DiscoveredScript['stat'];
    try {
      const s = statSync(path);
      st = { mode: s.mode, isFile: s.isFile(), mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev };
    } catch (err) {
      // dangling link or unreadable: disabled, and reported when it is run
      st = { errno: -((err as NodeJS.ErrnoException).errno ?? -2) };
    }
    const enabled = 'mode' in st && ownerExecutable(st.mode);
    return { name: file.slice(0, -'.script'.length), path, enabled, stat: st };
  });
}
