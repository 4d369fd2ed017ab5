// Typed access to the fcntl_lock addon (lib/native/fcntl_lock.c): POSIX byte-range locks on a
// descriptor and a watcher that reports a process's exit at once (pidfd). The addon is built
// by `npm ci` into build/Release; we find it by walking up from this file, so the same code
// works from the sources (tsx) and from dist/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonError, toLockSyscallError } from './errors.js';

export type LockType = 'read' | 'write' | 'unlock';

export interface LockHolder {
  type: 'read' | 'write';
  start: number;
  length: number;
  pid: number;
}

interface FcntlAddon {
  setLock(fd: number, type: LockType, start: number, length: number): void;
  setLockWait(fd: number, type: LockType, start: number, length: number): Promise<void>;
  getLock(fd: number, type: 'read' | 'write', start: number, length: number): LockHolder | null;
  watchProcess(pid: number, onExit: () => void): { close(): void };
  exitNow(code: number): never;
}

/** The package root: the nearest folder above this file holding package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the ctdb-ts package root above ${fileURLToPath(import.meta.url)}`);
}

let addon: FcntlAddon | undefined;

function load(): FcntlAddon {
  if (addon !== undefined) return addon;
  const path = join(packageRoot(), 'build', 'Release', 'fcntl_lock.node');
  try {
    addon = createRequire(import.meta.url)(path) as FcntlAddon;
  } catch (err) {
    throw new NativeAddonError(path, { cause: err });
  }
  return addon;
}

/** F_SETLK: places or removes a lock without waiting; throws EAGAIN/EACCES on contention. */
export function setLock(fd: number, type: LockType, start: number, length: number): void {
  const native = load();
  try {
    native.setLock(fd, type, start, length);
  } catch (err) {
    throw toLockSyscallError(err);
  }
}

/** F_SETLKW on a worker thread: waits for the lock without blocking the event loop. */
export async function setLockWait(
  fd: number,
  type: LockType,
  start: number,
  length: number,
): Promise<void> {
  const native = load();
  try {
    await native.setLockWait(fd, type, start, length);
  } catch (err) {
    throw toLockSyscallError(err);
  }
}

/** F_GETLK: null when the lock could be placed now, else who holds a conflicting one. */
export function getLock(
  fd: number,
  type: 'read' | 'write',
  start: number,
  length: number,
): LockHolder | null {
  const native = load();
  try {
    return native.getLock(fd, type, start, length);
  } catch (err) {
    throw toLockSyscallError(err);
  }
}

/** True for the errno names fcntl reports when another process holds the lock. */
export function isContention(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EAGAIN' || code === 'EACCES';
}

/**
 * Calls `onExit` once, the moment process `pid` terminates (pidfd polled by the event loop).
 * Throws ESRCH if there is no such process, ENOSYS on kernels without pidfd_open.
 */
export function watchProcess(pid: number, onExit: () => void): { close(): void } {
  const native = load();
  try {
    return native.watchProcess(pid, onExit);
  } catch (err) {
    throw toLockSyscallError(err);
  }
}

/**
 * Ends the process at once (_exit), skipping exit handlers: a normal exit waits for libuv's
 * worker threads, one of which may be blocked for ever in F_SETLKW on a stuck filesystem.
 */
export function exitNow(code: number): never {
  return load().exitNow(code);
}
