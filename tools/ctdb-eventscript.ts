#!/usr/bin/env node
// `ctdb-eventscript FILE EVENT [ARGS…]`: the interpreter named in a TypeScript eventscript's
// shebang (`#!/usr/bin/env ctdb-eventscript`), so the same file runs under any CTDB event
// daemon, the real one included. Loads the module, runs the hook for EVENT with the typed
// arguments and options, prints its output, and exits 0 on success or the failing status.
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerEventScriptLoader } from '../lib/eventscript/register.js';
import { eventScriptOf, runHook } from '../lib/eventscript/run.js';
import { defaultLogger } from '../lib/eventscript/context.js';
import {
  hookNameOf,
  isNotificationHook,
  runNotificationHook,
} from '../lib/eventscript/notification.js';
import type { Logger } from 'pino';

async function main(argv: readonly string[]): Promise<number> {
  const [file, event, ...words] = argv;
  if (file === undefined || event === undefined) {
    process.stderr.write('Usage: ctdb-eventscript <script> <event> [<args>...]\n');
    return 1;
  }
  registerEventScriptLoader();
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (isNotificationHook(mod.default)) {
    // A notification hook (events/notification/), run by notify.sh with the event name.
    const scriptName = hookNameOf(file);
    const log = defaultLogger(process.env).child({ script: scriptName });
    return runNotificationHook(mod.default, { event, scriptName, env: process.env, log });
  }
  const script = eventScriptOf(mod, file);
  const ac = new AbortController();
  const onTerm = (): void => ac.abort(new Error('terminated'));
  process.once('SIGTERM', onTerm);
  let logger: Logger | undefined;
  // A hook whose promise never settles must not look like success when the loop drains.
  process.exitCode = 1;
  const status = await runHook({
    script,
    scriptName: basename(file).replace(/\.(script|ts)$/, ''),
    scriptPath: file,
    event,
    words,
    env: process.env,
    signal: ac.signal,
    print: (t) => void process.stdout.write(t),
    logger: () => (logger ??= defaultLogger(process.env)),
  });
  process.off('SIGTERM', onTerm);
  return status;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
