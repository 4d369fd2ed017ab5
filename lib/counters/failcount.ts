// Failure counting with `WARN:ERR` thresholds (CTDB's `failcount_*`): each consecutive
// failure of a check increments a counter; reaching WARN prints a warning (repeated no more
// often than the warning interval), reaching ERR fails the check. Messages are CTDB's.
import { rm, stat, utimes, writeFile } from 'node:fs/promises';
import { counterGet, counterIncr, counterInit } from './counter.js';
import { join } from 'node:path';

/** How often a steady warning is repeated: never, or every N seconds. */
export type WarningInterval = 'none' | 'daily' | 'hourly' | number;

export function warningIntervalSeconds(interval: WarningInterval): number | undefined {
  if (interval === 'none') return undefined;
  if (interval === 'daily') return 86400;
  if (interval === 'hourly') return 3600;
  return interval;
}

/** The counter name for a thing: `/` becomes `_SLASH_`, a space `_`. */
export function failcountName(thing: string): string {
  return thing.replaceAll('/', '_SLASH_').replaceAll(' ', '_');
}

export interface FailcountOptions {
  readonly stateDir: string;
  /** Default `hourly`, as CTDB's functions set it at load time. */
  readonly interval?: WarningInterval;
  readonly print: (line: string) => void;
  /** The clock, in ms (tests may pass one). */
  readonly now?: () => number;
}

export type FailcountOutcome = 'ok' | 'warned' | 'failed';

export class Failcount {
  constructor(private readonly opts: FailcountOptions) {}

  private name(thing: string): string {
    return failcountName(thing);
  }

  private stamp(thing: string): string {
    return join(this.opts.stateDir, `${this.name(thing)}.last-warning`);
  }

  async init(thing: string): Promise<void> {
    await counterInit(this.opts.stateDir, this.name(thing));
  }

  /** The check passed: announce recovery if it had been failing, zero the count. */
  async reset(thing: string): Promise<void> {
    const n = await counterGet(this.opts.stateDir, this.name(thing));
    if (n > 0) this.opts.print(`NOTICE: ${thing}: no longer failing`);
    await counterInit(this.opts.stateDir, this.name(thing));
    await rm(this.stamp(thing), { force: true });
  }

  /**
   * The check failed: count it and apply THRESHOLD (`W:E`, `W`, or empty = warn at 1).
   * OUTPUT (the failing check's own text) is printed when the count first reaches a threshold.
   * Returns 'failed' when the unhealthy threshold is reached — CTDB exits 1 there.
   */
  async incr(thing: string, threshold: string, output?: string): Promise<FailcountOutcome> {
    const { print } = this.opts;
    await counterIncr(this.opts.stateDir, this.name(thing));
    const n = await counterGet(this.opts.stateDir, this.name(thing));

    let warnText = threshold;
    let errText = '';
    const colon = threshold.indexOf(':');
    if (colon >= 0) {
      warnText = threshold.slice(0, colon);
      errText = threshold.slice(colon + 1);
    }
    const validate = (t: string): number | undefined => {
      if (t === '') return undefined;
      if (/^\d+$/.test(t)) return Number(t);
      print(`WARNING: ${t} is an invalid threshold in "${thing}" check`);
      return undefined;
    };
    const warn = validate(warnText) ?? (warnText === '' ? 1 : undefined);
    const err = validate(errText);

    if (err !== undefined && n >= err) {
      print(`ERROR: ${thing}: fail count ${n} >= threshold ${err}`);
      if (n === err && output !== undefined && output !== '') print(output);
      return 'failed';
    }
    if (warn === undefined || n < warn) return 'ok';

    const intervalS = warningIntervalSeconds(this.opts.interval ?? 'hourly');
    let showOutput = n === warn;
    if (err === undefined && intervalS !== undefined) {
      const age = await this.stampAgeSeconds(thing);
      if (age !== undefined && age < intervalS) return 'ok';
      showOutput = true;
    }
    await this.touchStamp(thing);
    print(`WARNING: ${thing}: fail count ${n} >= threshold ${warn}`);
    if (showOutput && output !== undefined && output !== '') print(output);
    return 'warned';
  }

  private async stampAgeSeconds(thing: string): Promise<number | undefined> {
    try {
      const s = await stat(this.stamp(thing));
      return ((this.opts.now?.() ?? Date.now()) - s.mtimeMs) / 1000;
    } catch {
      return undefined;
    }
  }

  private async touchStamp(thing: string): Promise<void> {
    const path = this.stamp(thing);
    const t = new Date(this.opts.now?.() ?? Date.now());
    try {
      await utimes(path, t, t);
    } catch {
      await writeFile(path, '');
      await utimes(path, t, t);
    }
  }
}
