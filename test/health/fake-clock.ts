// A manual clock for the health, banning and recovery logic (the Clock interface the daemon
// fills with real timers). advance() fires due timers in time order and lets the promises
// they start settle.
import { setImmediate as tick } from 'node:timers/promises';
import type { Clock, TimerHandle } from '../../runtime/health/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers: Pending[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const p: Pending = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return { cancel: () => (p.cancelled = true) };
  }

  /** Milliseconds until the next live timer, or undefined. */
  nextDue(): number | undefined {
    const live = this.timers.filter((p) => !p.cancelled).map((p) => p.at - this.t);
    return live.length === 0 ? undefined : Math.min(...live);
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await tick();
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const due = this.timers
        .filter((p) => !p.cancelled && p.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.t = due.at;
      due.fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
}
