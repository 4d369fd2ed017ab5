// ctdb_mutex_fcntl_helper FILE [RECHECK [PING_TIMEOUT]]: CTDB's default cluster mutex, an
// fcntl write lock on byte 0 of FILE, which should live on the cluster filesystem.
//
// After taking it (status '0') the helper holds it until one of:
//   - SIGTERM from the parent (the release request);
//   - the parent's death, seen at once through a pidfd;
//   - every RECHECK seconds (default 5, 0 = never) the check fails: FILE must still exist with
//     the same inode (removed or replaced = lock lost), then a blocking lock on byte 1 probes the
//     cluster filesystem's lock manager; with PING_TIMEOUT > 0 a check that takes longer than
//     PING_TIMEOUT seconds also loses the lock.
// In each case the lock is released and the helper exits; the parent sees EOF = lock lost.
//
// CTDB runs the check in a child process because closing any descriptor of FILE would drop
// the process's fcntl locks; we never open FILE again (stat and access only), and the blocking
// probe runs on a worker thread on the same descriptor, which adds a byte-1 lock without
// touching byte 0.
//
// lib/native/mutex_fcntl_helper.c is the same program in C, and the one run when built
// (setting.ts): keep the two in step, words on stderr included. test/cluster-lock/
// fcntl-helper.test.ts runs every case against both.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { HelperUsageError } from '../errors.js';
import { isContention, setLock, setLockWait } from '../native.js';
import { watchParent } from '../parent-watch.js';
import { MutexStatus } from '../status.js';
import { ignoreBrokenPipes, stderrLog, writeStatus, type HelperLog } from './helper-io.js';

export const FCNTL_HELPER_NAME = 'ctdb_mutex_fcntl_helper';

export interface FcntlHelperArgs {
  file: string;
  /** Seconds between checks; 0 disables them. */
  recheckSeconds: number;
  /** Seconds a check may take; 0 = no limit. */
  pingTimeoutSeconds: number;
}

const usage = `Usage: ${FCNTL_HELPER_NAME} <file> [recheck_interval [ping_timeout]]`;

function parseSeconds(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text))
    throw new HelperUsageError(`${what} must be a whole number of seconds: '${text}'`, usage);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > 2_000_000)
    throw new HelperUsageError(`${what} is too large: '${text}'`, usage);
  return n;
}

export function parseFcntlHelperArgs(argv: readonly string[]): FcntlHelperArgs {
  if (argv.length < 1 || argv.length > 3)
    throw new HelperUsageError('wrong number of arguments', usage);
  const [file, recheck, ping] = argv as [string, string?, string?];
  if (file === '') throw new HelperUsageError('the lock file name is empty', usage);
  return {
    file,
    recheckSeconds: recheck === undefined ? 5 : parseSeconds(recheck, 'recheck_interval'),
    pingTimeoutSeconds: ping === undefined ? 0 : parseSeconds(ping, 'ping_timeout'),
  };
}

/** Opens FILE and tries the byte-0 write lock: the status, and the descriptor when held. */
export function takeFcntlLock(file: string, log: HelperLog): { status: MutexStatus; fd?: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (err) {
    log.error(`Unable to open ${file} - (${(err as Error).message})`);
    return { status: MutexStatus.Error };
  }
  try {
    setLock(fd, 'write', 0, 1);
  } catch (err) {
    closeSync(fd);
    if (isContention(err)) return { status: MutexStatus.Contended }; // silent, as CTDB
    log.error(`Failed to get lock on '${file}' - (${(err as Error).message})`);
    return { status: MutexStatus.Error };
  }
  return { status: MutexStatus.Held, fd };
}

/** One check of a held lock; resolves to a reason if the lock is lost, else undefined. */
async function checkOnce(file: string, fd: number, inode: bigint): Promise<string | undefined> {
  let st;
  try {
    // Both asynchronous: on a hung cluster filesystem they must not stall SIGTERM handling.
    await access(file, constants.R_OK | constants.W_OK);
    st = await stat(file, { bigint: true });
  } catch (err) {
    return `lock lost - lock file "${file}" open failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (st.ino !== inode) return `lock lost - lock file "${file}" inode changed`;
  try {
    await setLockWait(fd, 'write', 1, 1);
    setLock(fd, 'unlock', 1, 1);
  } catch (err) {
    return `lock fail - lock file "${file}" test lock error (${(err as Error).message})`;
  }
  return undefined;
}

/** Runs the helper; returns the exit code (the parent ignores it; the status byte is what counts). */
export async function runFcntlHelper(argv: readonly string[]): Promise<number> {
  ignoreBrokenPipes();
  const log = stderrLog(FCNTL_HELPER_NAME, 0);
  let args: FcntlHelperArgs;
  try {
    args = parseFcntlHelperArgs(argv);
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  const ppid = process.ppid;
  const taken = takeFcntlLock(args.file, log);
  if (!writeStatus(taken.status) && taken.fd !== undefined) {
    closeSync(taken.fd);
    return 0;
  }
  if (taken.fd === undefined) return 0;
  const fd = taken.fd;
  // The inode we hold, from the descriptor: the path may already name another file.
  const inode = fstatSync(fd, { bigint: true }).ino;

  return new Promise<number>((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const release = (why: string | undefined): void => {
      if (done) return;
      done = true;
      if (why !== undefined) log.error(why);
      closeSync(fd); // drops the lock now, before anything else
      parent.stop();
      if (timer !== undefined) clearTimeout(timer);
      resolve(0);
    };
    process.once('SIGTERM', () => release(undefined));
    process.once('SIGINT', () => release(undefined));
    const parent = watchParent(
      (reason) => release(reason === 'parent is init' ? 'parent == 1' : 'parent gone'),
      ppid,
    );
    if (args.recheckSeconds === 0) return;
    const schedule = (): void => {
      timer = setTimeout(() => void round(), args.recheckSeconds * 1000);
    };
    const round = async (): Promise<void> => {
      const check = checkOnce(args.file, fd, inode);
      const limit =
        args.pingTimeoutSeconds > 0
          ? new Promise<string>((r) => {
              timer = setTimeout(
                () => r('ping timeout from lock test'),
                args.pingTimeoutSeconds * 1000,
              );
            })
          : new Promise<never>(() => undefined);
      const lost = await Promise.race([check, limit]);
      if (timer !== undefined) clearTimeout(timer);
      if (done) return;
      if (lost !== undefined) release(lost);
      else schedule();
    };
    schedule();
  });
}
