// /proc/meminfo parsing and the memory utilisation figure 05.system checks.
import { getProc } from './proc.js';

/** The fields of /proc/meminfo, in kB, by name (`MemTotal`, `SwapFree`, …). */
export type MemInfo = ReadonlyMap<string, number>;

export function parseMemInfo(text: string): MemInfo {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+):\s+(\d+)/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export async function readMemInfo(): Promise<MemInfo> {
  return parseMemInfo(await getProc('meminfo'));
}

/**
 * Percentage of memory plus swap in use, truncated to an integer, as CTDB computes it: "free"
 * is MemAvailable when the kernel gives it, else MemFree + Cached + Buffers; 0 when there is
 * no memory at all.
 */
export function memoryUsagePercent(info: MemInfo): number {
  const get = (k: string): number => info.get(k) ?? 0;
  const available = get('MemAvailable');
  const free = available !== 0 ? available : get('MemFree') + get('Cached') + get('Buffers');
  const total = get('MemTotal') + get('SwapTotal');
  if (total === 0) return 0;
  const used = get('MemTotal') - free + get('SwapTotal') - get('SwapFree');
  return Math.trunc((used / total) * 100);
}
