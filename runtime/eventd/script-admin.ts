// Enabling, disabling and listing scripts on disk, as CTDB 4.17's ctdb-event tool and the
// daemon's SCRIPT command do it (common/event_script.c, event/event_tool.c):
// - a shipped script (in the data dir) is enabled by an absolute symlink to its real path and
//   disabled by removing that link;
// - a local script (a regular file in the etc dir) is enabled/disabled with chmod ±0111, after
//   checking the name and that the entry really is that file.
// Our data dir also holds TypeScript sources, `NN.name.ts`: they are offered as `NN.name` and
// enabled by the same kind of link (the `.script` name in the etc dir points at the `.ts`).
import {
  closeSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  unlinkSync,
  constants,
} from 'node:fs';
import { join } from 'node:path';
import { compareBytes, discoverScripts, isScriptFileName } from './discovery.js';
import { Errno } from './errno.js';

/** Outcome of an admin action: the exit code and what the tool prints on stdout. */
export interface AdminResult {
  readonly code: number;
  readonly stdout: string;
}

/** The errno of a Node fs error (positive). */
function errnoOf(err: unknown): number {
  return -((err as NodeJS.ErrnoException).errno ?? -Errno.EIO);
}

/**
 * CTDB's event_script_chmod: find `script` (with or without `.script`) in `etcDir` by readdir,
 * check the name, open it and make sure it is the same inode, then add or remove 0111.
 * Returns 0 or an errno (ENOENT, EINVAL, …).
 */
export function chmodScript(etcDir: string, script: string, enable: boolean): number {
  const file = script.endsWith('.script') ? script : `${script}.script`;
  let entries;
  try {
    entries = readdirSync(etcDir, { withFileTypes: true });
  } catch (err) {
    return errnoOf(err);
  }
  const entry = entries.find((e) => e.name === file);
  if (entry === undefined) return Errno.ENOENT;
  if (!isScriptFileName(file)) return Errno.EINVAL;
  const path = join(etcDir, file);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR);
  } catch (err) {
    return errnoOf(err);
  }
  try {
    const st = fstatSync(fd);
    if (lstatSync(path).ino !== st.ino || !st.isFile()) return Errno.EINVAL;
    fchmodSync(fd, enable ? st.mode | 0o111 : st.mode & ~0o111 & 0o7777);
    return 0;
  } catch (err) {
    return errnoOf(err);
  } finally {
    closeSync(fd);
  }
}

function scriptMessage(result: number, script: string, component: string): string {
  if (result === Errno.EINVAL) return `Script ${script} is invalid in ${component}\n`;
  if (result === Errno.ENOENT) return `Script ${script} does not exist in ${component}\n`;
  return '';
}

/** The shipped script for `script` in the data dir: `NN.name.script`, else `NN.name.ts`. */
function findDataScript(dataDir: string, script: string): string | undefined {
  for (const ext of ['.script', '.ts']) {
    try {
      const real = realpathSync(join(dataDir, `${script}${ext}`));
      statSync(real);
      return real;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

export function enableScript(
  etcDir: string,
  dataDir: string,
  component: string,
  script: string,
): AdminResult {
  const etcScript = join(etcDir, `${script}.script`);
  let st;
  try {
    st = lstatSync(etcScript);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      return { code: Errno.EINVAL, stdout: `Script ${etcScript} does not exist\n` };
    const target = findDataScript(dataDir, script);
    if (target === undefined)
      return { code: Errno.ENOENT, stdout: `Script ${script} does not exist in ${component}\n` };
    try {
      symlinkSync(target, etcScript);
    } catch {
      return { code: Errno.EIO, stdout: `Failed to create symlink ${etcScript}\n` };
    }
    return { code: 0, stdout: '' };
  }
  if (st.isSymbolicLink()) return { code: 0, stdout: '' };
  if (st.isFile()) {
    const r = chmodScript(etcDir, script, true);
    return { code: r, stdout: scriptMessage(r, script, component) };
  }
  return { code: Errno.EINVAL, stdout: `Script ${etcScript} is not a file or a link\n` };
}

export function disableScript(etcDir: string, component: string, script: string): AdminResult {
  const etcScript = join(etcDir, `${script}.script`);
  let st;
  try {
    st = lstatSync(etcScript);
  } catch {
    return { code: 0, stdout: '' };
  }
  if (st.isSymbolicLink()) {
    try {
      unlinkSync(etcScript);
    } catch {
      return { code: Errno.EIO, stdout: `Failed to remove symlink ${etcScript}\n` };
    }
    return { code: 0, stdout: '' };
  }
  if (st.isFile()) {
    const r = chmodScript(etcDir, script, false);
    return { code: r, stdout: scriptMessage(r, script, component) };
  }
  return { code: Errno.EINVAL, stdout: `Script ${etcScript} is not a file or a link\n` };
}

/** `script list`: shipped scripts flagged by their link, then local scripts by their mode. */
export function listScripts(
  etcDir: string,
  dataDir: string,
): { code: number; stdout: string; stderr: string } {
  let realData: string;
  try {
    realData = realpathSync(dataDir);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno !== Errno.ENOENT) return { code: errno, stdout: '', stderr: '' };
    return {
      code: Errno.ENOENT,
      stdout: '',
      stderr: `Command script list finished with result=${Errno.ENOENT}\n`,
    };
  }
  let data: { name: string; path: string }[];
  try {
    data = readdirSync(realData)
      .filter((f) => isScriptFileName(f) || /^[0-9][0-9]\..*\.ts$/s.test(f))
      .map((f) => ({
        name: f.replace(/\.(script|ts)$/, ''),
        path: join(realData, f),
      }))
      .filter((d, i, all) => all.findIndex((o) => o.name === d.name) === i)
      .sort((a, b) => compareBytes(a.name, b.name));
  } catch {
    data = [];
  }
  let etc;
  try {
    etc = discoverScripts(etcDir);
  } catch (err) {
    const errno = errnoOf(err);
    return {
      code: errno,
      stdout: '',
      stderr: `Command script list finished with result=${errno}\n`,
    };
  }
  const consumed = new Set<string>();
  let out = '';
  for (const d of data) {
    let flag = ' ';
    const e = etc.find((x) => x.name === d.name);
    if (e !== undefined) {
      try {
        if (readlinkSync(e.path) === d.path) {
          flag = '*';
          consumed.add(e.name);
        }
      } catch {
        // not a link: listed with the local scripts
      }
    }
    out += `${flag} ${d.name}\n`;
  }
  if (data.length > 0 && consumed.size !== etc.length) out += '\n';
  for (const e of etc) {
    if (consumed.has(e.name)) continue;
    out += `${e.enabled ? '*' : ' '} ${e.name}\n`;
  }
  return { code: 0, stdout: out, stderr: '' };
}
