#!/usr/bin/env ctdb-eventscript
// 01.reclock: at init, makes sure the directory of a file-based cluster (recovery) lock
// exists. A lock held through a helper (`!command`) or no lock at all needs nothing.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { defineEventScript } from '../../lib/eventscript/define.js';
import { ScriptExit } from '../../lib/errors/index.js';
import { ctdbConfigGet } from '../../lib/ctdb/index.js';

export default defineEventScript({
  description: 'Create the directory of a file-based recovery lock.',

  async init(_args, ctx) {
    const r = await ctdbConfigGet('cluster', 'recovery lock', { env: ctx.env, signal: ctx.signal });
    if (!r.found) {
      if (r.exitCode === 2) return; // not configured
      if ('stderr' in r) ctx.print(r.stderr); // ctdb-config says what is wrong
      throw new ScriptExit('Unexpected error getting recovery lock configuration');
    }
    const lock = r.value;
    if (lock === '' || lock.startsWith('!')) return;
    await mkdir(dirname(lock), { recursive: true });
  },
});
