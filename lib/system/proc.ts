// Accessors for /proc (and /sys through /proc/sys), CTDB's get_proc / set_proc /
// set_proc_maybe. Paths are relative to /proc, as in the shell functions, so scripts read the
// same way as their shell originals: getProc('sys/net/ipv4/conf/all/promote_secondaries').
// The I/O is synchronous on purpose: these files are tiny and answered by the kernel at once,
// while a trip through libuv's thread pool costs milliseconds on a busy machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { errnoOf, ProcFileError } from '../errors/index.js';

/** The root all relative paths hang from; `/proc` on a real system. */
export const PROC_ROOT = '/proc';

function full(path: string): string {
  return path.startsWith('/') ? path : `${PROC_ROOT}/${path}`;
}

/** Reads /proc/PATH; throws ProcFileError if it cannot be read. */
// eslint-disable-next-line @typescript-eslint/require-await -- async API, synchronous I/O
export async function getProc(path: string): Promise<string> {
  try {
    return readFileSync(full(path), 'utf8');
  } catch (err) {
    throw new ProcFileError(full(path), 'read', errnoOf(err) ?? 'EIO');
  }
}

/** Reads /proc/PATH, or returns undefined if it does not exist or cannot be read. */
// eslint-disable-next-line @typescript-eslint/require-await -- async API, synchronous I/O
export async function getProcMaybe(path: string): Promise<string | undefined> {
  try {
    return readFileSync(full(path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes VALUE followed by a newline to /proc/PATH (as `echo VALUE >/proc/PATH`). */
// eslint-disable-next-line @typescript-eslint/require-await -- async API, synchronous I/O
export async function setProc(path: string, value: string | number): Promise<void> {
  try {
    writeFileSync(full(path), `${value}\n`);
  } catch (err) {
    throw new ProcFileError(full(path), 'write', errnoOf(err) ?? 'EIO');
  }
}

/**
 * Writes /proc/PATH only if it is writable; returns whether it wrote. (Trying the write and
 * treating "not permitted / not there" as "not writable" answers the same question in one go.)
 */
// eslint-disable-next-line @typescript-eslint/require-await -- async API, synchronous I/O
export async function setProcMaybe(path: string, value: string | number): Promise<boolean> {
  try {
    writeFileSync(full(path), `${value}\n`);
    return true;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'EROFS')
      return false;
    throw new ProcFileError(full(path), 'write', code ?? 'EIO');
  }
}
