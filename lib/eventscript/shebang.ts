// The first line that makes a TypeScript eventscript an executable any CTDB event daemon can
// run (the launcher `ctdb-eventscript` must be on PATH), and that ours recognises to run the
// script in-process instead.
import { closeSync, openSync, readSync } from 'node:fs';

export const EVENTSCRIPT_SHEBANG = '#!/usr/bin/env ctdb-eventscript';

const PREFIX = Buffer.from(EVENTSCRIPT_SHEBANG);

/** True when the file starts with the eventscript shebang line. Unreadable files are not. */
export function hasEventScriptShebang(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(PREFIX.length + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n < PREFIX.length || !buf.subarray(0, PREFIX.length).equals(PREFIX)) return false;
    return n === PREFIX.length || buf[PREFIX.length] === 0x0a || buf[PREFIX.length] === 0x0d;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
