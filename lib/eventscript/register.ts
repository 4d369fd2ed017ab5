// Makes TypeScript eventscripts importable in this thread: our hooks (loader-hooks.ts) for
// `.script` files, `.ts` files and the `ctdb-ts/…` names. tsx is not registered here: a
// thread running the package from its TypeScript sources has tsx already (that is how its
// own `.ts` modules load: `--import tsx`, or ts-pool.ts for a worker), and the built package
// needs none, its library being JavaScript; our hooks compile an admin's script and its `.ts`
// imports. Node runs the hooks in a thread of its own, started here. Idempotent.
import { register as registerHooks } from 'node:module';
import { RUNNING_BUILT } from './compiled-twin.js';

let done = false;

/** True once this thread has registered the loader. */
export function eventScriptLoaderRegistered(): boolean {
  return done;
}

export function registerEventScriptLoader(): void {
  if (done) return;
  done = true;
  registerHooks(`./loader-hooks${RUNNING_BUILT ? '.js' : '.ts'}`, import.meta.url);
}
