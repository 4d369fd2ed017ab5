// CTDB's unary failure counters (`ctdb_counter_*`): a file in the script's state directory
// whose size in bytes is the count — incrementing appends one newline. Kept byte-compatible
// so a shell script and a TypeScript script can share a counter.
import { appendFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The counter file: `<stateDir>/<name>.failcount`, or `<stateDir>/failcount` with no name. */
export function counterFile(stateDir: string, name?: string): string {
  return join(stateDir, name === undefined ? 'failcount' : `${name}.failcount`);
}

export async function counterInit(stateDir: string, name?: string): Promise<void> {
  await writeFile(counterFile(stateDir, name), '');
}

export async function counterIncr(stateDir: string, name?: string): Promise<void> {
  await appendFile(counterFile(stateDir, name), '\n');
}

/** The count; 0 when the counter does not exist. */
export async function counterGet(stateDir: string, name?: string): Promise<number> {
  try {
    return (await stat(counterFile(stateDir, name))).size;
  } catch {
    return 0;
  }
}

export async function counterExists(stateDir: string, name?: string): Promise<boolean> {
  try {
    await stat(counterFile(stateDir, name));
    return true;
  } catch {
    return false;
  }
}
