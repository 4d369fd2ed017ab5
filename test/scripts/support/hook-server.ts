// Runs events of one TypeScript eventscript inside the current process, the way the event
// daemon's fast path does: the module is loaded once, then each request is one hook call.
// Tests and bench/takeip start it inside a node's network namespace
// (`ip netns exec NS node --import tsx hook-server.ts SCRIPT`) and talk JSON lines:
//   request  {"event":"takeip","words":["eth1","10.0.0.5","24"],"timeoutMs":30000}
//   response {"status":0,"output":"…","ms":1.23}
// Environment for the hooks is this process's environment (CTDB_BASE, CTDB, …).
import { createInterface } from 'node:readline';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventScriptOf, runHook } from '../../../lib/eventscript/run.js';
import { defaultLogger } from '../../../lib/eventscript/context.js';

interface Request {
  readonly event: string;
  readonly words?: readonly string[];
  readonly timeoutMs?: number;
}

// Not realpath'd: a link's folder is where the script's options file lives.
const scriptPath = resolve(process.argv[2] ?? '');
const script = eventScriptOf(await import(pathToFileURL(scriptPath).href), scriptPath);
const scriptName = basename(scriptPath).replace(/\.(ts|script)$/, '');
const logger = defaultLogger(process.env);

async function handle(req: Request): Promise<{ status: number; output: string; ms: number }> {
  let output = '';
  const t0 = performance.now();
  const status = await runHook({
    script,
    scriptName,
    scriptPath,
    event: req.event,
    words: req.words ?? [],
    env: process.env,
    signal: AbortSignal.timeout(req.timeoutMs ?? 30_000),
    print: (text) => (output += text),
    logger: () => logger,
  });
  return { status, output, ms: performance.now() - t0 };
}

const rl = createInterface({ input: process.stdin });
process.stdout.write('{"ready":true}\n');
for await (const line of rl) {
  if (line.trim() === '') continue;
  const reply = await handle(JSON.parse(line) as Request);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
