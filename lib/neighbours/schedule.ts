// CTDB's announcement schedule after taking an address over: send at once, then again
// every 1.1 s, three times in all, with tickle ACKs for the address's known connections
// sent alongside each round.
import type { Connection } from '../tcp/connection.js';
import { tickleAll } from '../tcp/tickle.js';
import { sendGratuitousArp } from './send.js';

export const ANNOUNCE_COUNT = 3;
export const ANNOUNCE_INTERVAL_MS = 1100;

export interface AnnounceOptions {
  readonly count?: number;
  readonly intervalMs?: number;
  /** Tickle these (tickle-list convention: src = client, dst = the address) with each round. */
  readonly tickles?: readonly Connection[];
  /** Stops the schedule (as releasing the address does). */
  readonly signal?: AbortSignal;
  /** Failures of later rounds, which cannot be thrown to the caller. */
  readonly onError?: (err: unknown) => void;
}

export interface Announcement {
  /** Cancels the remaining rounds. */
  stop(): void;
  /** Resolves with the number of rounds made once the schedule has ended. */
  readonly done: Promise<number>;
}

/**
 * Starts the schedule. The first round runs synchronously, so a bad interface or a missing
 * CAP_NET_RAW throws from this call; later rounds report to onError and carry on.
 */
export function announceAddress(
  iface: string,
  ip: string,
  opts: AnnounceOptions = {},
): Announcement {
  const count = opts.count ?? ANNOUNCE_COUNT;
  const interval = opts.intervalMs ?? ANNOUNCE_INTERVAL_MS;
  const tickles = opts.tickles ?? [];
  let rounds = 0;
  let timer: NodeJS.Timeout | undefined;
  let finish: (n: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    opts.signal?.removeEventListener('abort', stop);
    finish(rounds);
  };

  const round = (): void => {
    rounds++;
    sendGratuitousArp(iface, ip);
    for (const f of tickleAll(tickles).failed) opts.onError?.(f.error);
  };

  const later = (): void => {
    timer = undefined;
    try {
      round();
    } catch (err) {
      opts.onError?.(err);
    }
    if (rounds < count && opts.signal?.aborted !== true) timer = setTimeout(later, interval);
    else stop();
  };

  if (count <= 0 || opts.signal?.aborted === true) {
    stop();
    return { stop, done };
  }
  try {
    round();
  } catch (err) {
    stop();
    throw err;
  }
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (rounds < count) timer = setTimeout(later, interval);
  else stop();
  return { stop, done };
}
