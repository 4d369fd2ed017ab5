#!/usr/bin/env node
// `ctdb-event`: CTDB 4.17's event tool (run, status, script list|enable|disable).
import { eventTool } from '../runtime/eventd/tool.js';

eventTool(
  process.argv.slice(2),
  { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) },
  process.env,
).then(
  (code) => {
    process.exitCode = code & 0xff;
  },
  (err: unknown) => {
    process.stderr.write(`ctdb-event: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
