// A mutex helper must release its lock when the process that started it goes away, or the
// lock outlives its owner. CTDB's own helper checks every 5 s; we are told at once through a
// pidfd, whichever way the parent dies (a thread exiting is not the parent dying, which is why
// PR_SET_PDEATHSIG is not used). Kernels without pidfd fall back to a short poll.
import { readFileSync } from 'node:fs';
import { watchProcess } from './native.js';

export type ParentGoneReason = 'parent is init' | 'parent exited';

export interface ParentWatch {
  /** The parent pid being watched (the one seen at start). */
  readonly ppid: number;
  stop(): void;
}

const FALLBACK_POLL_MS = 250;

/** Our parent pid now (process.ppid is only the value at start-up). */
export function currentParentPid(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // pid (comm) state ppid …; comm may contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : process.ppid;
  } catch {
    return process.ppid;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Watches the original parent; `onGone` runs once when it has gone. A parent pid of 1 means
 * the real parent is already gone (we were reparented), so `onGone` runs on the next tick —
 * a helper never waits on init.
 */
export function watchParent(
  onGone: (reason: ParentGoneReason) => void,
  ppid: number = process.ppid,
): ParentWatch {
  let fired = false;
  const fire = (reason: ParentGoneReason): void => {
    if (fired) return;
    fired = true;
    onGone(reason);
  };
  if (ppid <= 1) {
    setImmediate(() => fire('parent is init'));
    return { ppid, stop: () => (fired = true) };
  }
  let handle: { close(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    handle = watchProcess(ppid, () => fire('parent exited'));
  } catch {
    // No pidfd (old kernel) or the parent already vanished: poll instead (ESRCH fires at once).
    timer = setInterval(() => {
      if (!alive(ppid)) fire('parent exited');
    }, FALLBACK_POLL_MS);
  }
  // The pidfd was opened by pid; if our parent changed meanwhile, it may name another process.
  if (currentParentPid() !== ppid) setImmediate(() => fire('parent exited'));
  return {
    ppid,
    stop: () => {
      fired = true;
      handle?.close();
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
