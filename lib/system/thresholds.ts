// The warn/unhealthy percentage thresholds of 05.system: `WARN[:ERR]` applied to a usage
// figure, remembering the last reported figure in a cache file so a steady state is reported
// once, with CTDB's exact messages.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ThresholdOutcome =
  /** Usage reached the unhealthy threshold: the check (and the monitor event) fails. */
  'unhealthy' | 'ok';

export interface ThresholdCheck {
  /** What is measured, as it appears in messages: `Filesystem /var`, `System memory`. */
  readonly thing: string;
  /** `WARN[:ERR]`, each a percentage 0–100; an empty part disables that threshold. */
  readonly thresholds: string;
  /** The measured utilisation, percent. */
  readonly usage: number;
  /** Where the cache file lives (the script's state directory). */
  readonly stateDir: string;
  /** Runs when usage first crosses the unhealthy threshold (not on every failing run). */
  readonly onUnhealthy?: () => Promise<void>;
  /** Receives each line of output. */
  readonly print: (line: string) => void;
}

/**
 * Checks a percentage threshold as CTDB does: a valid one is 0–100 written as one or two
 * digits or "100". Empty means "not set" (no message); anything else warns and is ignored.
 */
export function validPercentage(
  value: string,
  thing: string,
  print: (line: string) => void,
): number | undefined {
  if (value === '') return undefined;
  if (/^(?:[0-9]|[0-9][0-9]|100)$/.test(value)) return Number(value);
  print(`WARNING: ${value} is an invalid percentage in "${thing}" check`);
  return undefined;
}

/** The cache file name for a thing: `/` becomes `SLASH_`, a space `_`. */
export function thresholdCacheFile(stateDir: string, thing: string): string {
  return join(stateDir, `cache_${thing.replaceAll('/', 'SLASH_').replaceAll(' ', '_')}`);
}

export async function checkThresholds(check: ThresholdCheck): Promise<ThresholdOutcome> {
  const { thing, usage, print } = check;
  const colon = check.thresholds.lastIndexOf(':');
  const warnText = colon < 0 ? check.thresholds : check.thresholds.slice(0, colon);
  const errText = colon < 0 ? '' : check.thresholds.slice(check.thresholds.indexOf(':') + 1);
  const cache = thresholdCacheFile(check.stateDir, thing);
  const cached = await readCache(cache);
  const prev = cached ?? 0;

  const err = validPercentage(errText, thing, print);
  if (err !== undefined && usage >= err) {
    print(`ERROR: ${thing} utilization ${usage}% >= threshold ${err}%`);
    // The callout runs only on crossing, i.e. when the last figure was below the threshold.
    if (prev < err && check.onUnhealthy !== undefined) await check.onUnhealthy();
    await writeFile(cache, `${usage}\n`);
    return 'unhealthy';
  }

  const warn = validPercentage(warnText, thing, print);
  if (warn === undefined) return 'ok';
  if (usage >= warn) {
    if (usage === prev) return 'ok';
    print(`WARNING: ${thing} utilization ${usage}% >= threshold ${warn}%`);
    await writeFile(cache, `${usage}\n`);
  } else if (cached !== undefined) {
    print(`NOTICE: ${thing} utilization ${usage}% < threshold ${warn}%`);
    await rm(cache, { force: true });
  }
  return 'ok';
}

async function readCache(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).split('\n')[0]!.trim();
    const n = Number(text);
    return text === '' || !Number.isFinite(n) ? 0 : n;
  } catch {
    return undefined;
  }
}
