// Node module hooks (module.register) that let an eventscript live anywhere — in the package,
// or an admin's file in /etc/ctdb/events/legacy — with no build step:
// - `ctdb-ts/eventscript` (and `ctdb-ts/<folder>/<module>`) resolve to this package's files, so
//   a script outside the package can import the API by name;
// - a `.script` file, or a `.ts` file starting with the eventscript shebang, is compiled from
//   TypeScript as an ES module (wherever it lives: no package.json needed);
// - everything else goes on to the next hooks (tsx handles `.ts` and `.js`→`.ts`).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { hasEventScriptShebang } from './shebang.js';

interface ResolveContext {
  readonly parentURL?: string | undefined;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string }>;
interface LoadResult {
  format?: string | null | undefined;
  source?: string | ArrayBuffer | Uint8Array | null | undefined;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: object) => Promise<LoadResult>;

const PACKAGE_NAME = 'ctdb-ts';
/** lib/eventscript/ → the package root. */
const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** `.ts` when running from source, `.js` in the built package. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const ALIASES: Readonly<Record<string, string>> = {
  [PACKAGE_NAME]: 'lib/eventscript/index',
  [`${PACKAGE_NAME}/eventscript`]: 'lib/eventscript/index',
  [`${PACKAGE_NAME}/options`]: 'lib/options/index',
};

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<{ url: string }> {
  if (specifier === PACKAGE_NAME || specifier.startsWith(`${PACKAGE_NAME}/`)) {
    const alias = ALIASES[specifier];
    const rel =
      alias ?? `lib/${specifier.slice(PACKAGE_NAME.length + 1).replace(/\.(js|ts)$/, '')}`;
    return next(pathToFileURL(join(ROOT, rel + EXT)).href, context);
  }
  return next(specifier, context);
}

/** A `.ts` eventscript (shebang first line) is always an ES module, wherever it lives. */
function isEventScriptTs(url: string): boolean {
  return url.endsWith('.ts') && hasEventScriptShebang(fileURLToPath(url));
}

export async function load(url: string, context: object, next: NextLoad): Promise<LoadResult> {
  const bare = url.split('?')[0] ?? url;
  if (bare.startsWith('file:') && (bare.endsWith('.script') || isEventScriptTs(bare))) {
    const file = fileURLToPath(bare);
    const out = transformSync(readFileSync(file, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: file,
      sourcemap: 'inline',
    });
    return { format: 'module', source: out.code, shortCircuit: true };
  }
  return next(url, context);
}
