#!/usr/bin/env node
// `ctdb_natgw leader|list|status`: CTDB's NAT gateway helper, as the 11.natgw eventscript and
// `ctdb natgw` run it from $CTDB_HELPER_BINDIR. The behaviour lives in runtime/groups.
import { runGroupHelper } from '../runtime/groups/index.js';

const code = await runGroupHelper(
  'natgw',
  process.argv.slice(2),
  { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
  { env: process.env },
);
process.exitCode = code;
