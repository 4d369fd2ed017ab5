// Time as the health, banning and recovery logic see it: injected, so the logic can be tested
// with a fake clock and wired to real timers in the daemon.
export type TimerHandle = { cancel(): void };

export interface Clock {
  /** Milliseconds since some fixed origin (Date.now() in the daemon). */
  now(): number;
  /** Calls fn once after ms; cancel() stops it (idempotent). */
  after(ms: number, fn: () => void): TimerHandle;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
