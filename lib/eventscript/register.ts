// Makes TypeScript eventscripts importable in this thread: tsx for `.ts` files, then our hooks
// for `.script` files and the `ctdb-ts/…` names. Idempotent.
import { register as registerHooks } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

let done = false;

export function registerEventScriptLoader(): void {
  if (done) return;
  done = true;
  registerTsx();
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  registerHooks(`./loader-hooks${ext}`, import.meta.url);
}
