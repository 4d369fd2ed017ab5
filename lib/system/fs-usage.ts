// Filesystem utilisation as `df -kP` reports it (the Use% column), computed with statfs(2)
// instead of running df, and the mount point a directory lives on (df's last column).
import { realpath, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Use% of the filesystem holding PATH, with df's rounding: used / (used + available to
 * non-root), rounded up. Returns undefined if PATH cannot be examined.
 */
export async function filesystemUsagePercent(path: string): Promise<number | undefined> {
  let s;
  try {
    s = await statfs(path);
  } catch {
    return undefined;
  }
  const used = s.blocks - s.bfree;
  const denominator = used + s.bavail;
  if (denominator === 0) return 0; // df prints "-"; no usage to speak of
  return Math.ceil((used * 100) / denominator);
}

/**
 * The mount point of the filesystem holding PATH: the highest ancestor of its real path that
 * is still on the same device.
 */
export async function mountPointOf(path: string): Promise<string> {
  let current = await realpath(path);
  const dev = (await stat(current)).dev;
  while (current !== '/') {
    const parent = dirname(current);
    if ((await stat(parent)).dev !== dev) break;
    current = parent;
  }
  return current;
}
