// Runs toolkit calls inside a network namespace for test/toolkit/net.test.ts: reads one JSON
// request per line `{"fn":"addRoute","args":[…]}`, calls the named export of lib/net,
// lib/firewall or lib/services, and answers `{"ok":true,"value":…}` or
// `{"ok":false,"error":{name,message,errno,…}}` so tests can assert on typed errors.
import { createInterface } from 'node:readline';
import * as net from '../../lib/net/index.js';
import * as firewall from '../../lib/firewall/index.js';
import * as services from '../../lib/services/index.js';
import * as shell from '../../lib/shell/index.js';

const api: Record<string, unknown> = { ...net, ...firewall, ...services, ...shell };

process.stdout.write('{"ready":true}\n');
for await (const line of createInterface({ input: process.stdin })) {
  const { fn, args } = JSON.parse(line) as { fn: string; args: unknown[] };
  try {
    const f = api[fn];
    if (typeof f !== 'function') throw new Error(`no such function ${fn}`);
    const value: unknown = await (f as (...a: unknown[]) => unknown)(...args);
    process.stdout.write(`${JSON.stringify({ ok: true, value: value ?? null })}\n`);
  } catch (err) {
    const e = err as Error;
    const fields = Object.fromEntries(Object.entries(e));
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { ...fields, name: e.name, message: e.message } })}\n`,
    );
  }
}
