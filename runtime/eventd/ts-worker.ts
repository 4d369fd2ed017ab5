// The worker thread that runs TypeScript eventscripts for the daemon without a process per
// script. Modules stay loaded between runs (cache keyed by path and mtime, so an edited script
// is reloaded). The daemon terminates the whole thread when a hook overruns its deadline, so a
// busy loop or a promise that never settles cannot hold the daemon.
//
// The shipped scripts run as the JavaScript the build compiled them to (dist/events/…), with
// no TypeScript loader in the thread. The loader (module hooks, which Node runs in a thread of
// their own, and esbuild) is registered only when a script without an up-to-date compiled twin
// is met: an admin's own `.script`/`.ts` file, or a shipped script edited after the build.
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  eventScriptLoaderRegistered,
  registerEventScriptLoader,
} from '../../lib/eventscript/register.js';
import {
  freshTwin,
  isPlainJavaScript,
  RUNNING_BUILT,
} from '../../lib/eventscript/compiled-twin.js';
import { eventScriptOf, runHook } from '../../lib/eventscript/run.js';
import { defaultLogger } from '../../lib/eventscript/context.js';
import type { EventScript } from '../../lib/eventscript/define.js';
import type { Logger } from 'pino';
import type { FromWorker, ToWorker } from './ts-messages.js';

const port = parentPort;
if (port === null) throw new Error('ts-worker must run in a worker thread');

const cache = new Map<string, { version: number; script: EventScript }>();
const aborts = new Map<number, AbortController>();
let logger: Logger | undefined;

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

/**
 * The file to import for a script: in the built package, its compiled twin when there is a
 * fresh one. From the sources (tsx already runs this thread) the script itself, so what is
 * tested is the source, never an older build of it.
 */
function importable(path: string): string {
  const file = (RUNNING_BUILT ? freshTwin(path) : undefined) ?? path;
  if (!isPlainJavaScript(file) && !eventScriptLoaderRegistered()) {
    registerEventScriptLoader();
    send({ type: 'loader', path });
  }
  return file;
}

async function load(path: string, version: number): Promise<EventScript> {
  const hit = cache.get(path);
  if (hit?.version === version) return hit.script;
  const mod: unknown = await import(`${pathToFileURL(importable(path)).href}?v=${version}`);
  const script = eventScriptOf(mod, path);
  cache.set(path, { version, script });
  return script;
}

async function runOne(
  msg: Extract<ToWorker, { type: 'run' }>,
  index: number,
  signal: AbortSignal,
): Promise<number> {
  const item = msg.items[index]!;
  const print = (text: string): void => {
    if (text.length > 0) send({ type: 'out', id: msg.id, index, text });
  };
  try {
    const script = await load(item.realPath, item.version);
    return await runHook({
      script,
      scriptName: item.scriptName,
      scriptPath: item.scriptPath,
      event: msg.event,
      words: msg.words,
      env: msg.env,
      signal,
      print,
      logger: () => (logger ??= defaultLogger(msg.env)),
    });
  } catch (err) {
    print(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const ac = new AbortController();
  aborts.set(msg.id, ac);
  for (let index = 0; index < msg.items.length && !ac.signal.aborted; index++) {
    const begin = Date.now();
    const status = await runOne(msg, index, ac.signal);
    send({ type: 'done', id: msg.id, index, status, begin, end: Date.now() });
    if (status !== 0 && !msg.runAll) break;
  }
  aborts.delete(msg.id);
  send({ type: 'finished', id: msg.id });
}

/**
 * Closes the rtnetlink socket, if a script opened one. The module (with the `netlink` package,
 * ~10 MB) is not loaded up front: only scripts that use lib/net load it, so a worker that has
 * loaded no script has no socket, and one that has gets the already-loaded module at once.
 */
async function closeNetlink(): Promise<void> {
  if (cache.size === 0) return;
  try {
    const { closeRtnl } = await import('../../lib/net/rtnl.js');
    closeRtnl();
  } catch {
    // not installed: no socket either
  }
}

// A worker that ends closes the rtnetlink socket first, but only when no hook is running:
// closing it under a request still in flight makes the addon throw a C++ exception that
// aborts the whole process. A hook cut off at its deadline keeps its socket; the daemon's
// main thread holds the addon loaded, so ending the thread over it is safe (ts-pool.ts).
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'run') void run(msg);
  else if (msg.type === 'abort') aborts.get(msg.id)?.abort(new Error('deadline passed'));
  else {
    const close = aborts.size === 0 ? closeNetlink() : Promise.resolve();
    // Let the socket finish closing before the thread goes.
    void close.finally(() => setImmediate(() => setImmediate(() => process.exit(0))));
  }
});
send({ type: 'ready' });
