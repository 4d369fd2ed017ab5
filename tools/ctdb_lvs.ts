#!/usr/bin/env node
// `ctdb_lvs leader|list|status`: CTDB's LVS helper, as the 91.lvs eventscript and
// `ctdb lvs` run it from $CTDB_HELPER_BINDIR. The behaviour lives in runtime/groups.
import { runGroupHelper } from '../runtime/groups/index.js';

const code = await runGroupHelper(
  'lvs',
  process.argv.slice(2),
  { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
  { env: process.env },
);
process.exitCode = code;
