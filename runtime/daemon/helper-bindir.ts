// The directory eventscripts find CTDB's helpers in ($CTDB_HELPER_BINDIR). CTDB compiles its
// libexec path in; ours is made at start-up: a launcher for each helper this package ships
// (so 11.natgw runs our ctdb_natgw, 10.interface our ctdb_killtcp, …) and, for the helpers it
// does not ship (ctdb-config, …), links to the system's CTDB ones when they are installed.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { helperCommand } from '../paths/index.js';

/** The helpers this package provides under CTDB's names. */
export const OUR_HELPERS: readonly string[] = [
  'ctdb_natgw',
  'ctdb_lvs',
  'ctdb_killtcp',
  'ctdb_mutex_fcntl_helper',
  'ctdb_etcd_lock',
  'ctdb-event',
];

export const SYSTEM_HELPER_BINDIR = '/usr/libexec/ctdb';

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** (Re)creates `dir` with our launchers and links to the system's other helpers; returns it. */
export function prepareHelperBinDir(dir: string, systemDir = SYSTEM_HELPER_BINDIR): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of OUR_HELPERS) {
    const argv = helperCommand(name).map(shellQuote).join(' ');
    writeFileSync(join(dir, name), `#!/bin/sh\nexec ${argv} "$@"\n`);
    chmodSync(join(dir, name), 0o755);
  }
  if (existsSync(systemDir)) {
    for (const name of readdirSync(systemDir)) {
      if (!OUR_HELPERS.includes(name)) symlinkSync(join(systemDir, name), join(dir, name));
    }
  }
  return dir;
}
