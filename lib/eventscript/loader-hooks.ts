// Node module hooks (module.register) that let an eventscript live anywhere — in the package,
// or an admin's file in /etc/ctdb/events/legacy — with no build step:
// - `ctdb-ts/eventscript` (and `ctdb-ts/<folder>/<module>`) resolve to this package's files, so
//   a script outside the package can import the API by name;
// - a `.script` file, or a `.ts` file starting with the eventscript shebang, is compiled from
//   TypeScript as an ES module (wherever it lives: no package.json needed);
// - in the built package (no tsx registered, see register.ts) every other `.ts` file is
//   compiled the same way, an import of `x.js` finds `x.ts` when only that exists, and a
//   package source with an up-to-date compiled twin in dist/ loads as that JavaScript;
// - from the sources, everything else goes on to tsx.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshTwin, RUNNING_BUILT } from './compiled-twin.js';
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
/** lib/eventscript/ → the package root (dist/ in the built package). */
const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** `.ts` when running from source, `.js` in the built package. */
const EXT = RUNNING_BUILT ? '.js' : '.ts';
const ALIASES: Readonly<Record<string, string>> = {
  [PACKAGE_NAME]: 'lib/eventscript/index',
  [`${PACKAGE_NAME}/eventscript`]: 'lib/eventscript/index',
  [`${PACKAGE_NAME}/options`]: 'lib/options/index',
};

type TransformSync = (code: string, options: Record<string, unknown>) => { readonly code: string };
let transform: TransformSync | undefined;

/** esbuild, loaded on the first compile: a thread that never compiles never loads it. */
function compiler(): TransformSync {
  if (transform === undefined) {
    // Otherwise esbuild's transformSync starts a worker thread of its own that keeps an esbuild
    // service process alive (~25 MB together) for what is a handful of compiles; with worker
    // threads off each compile runs the esbuild binary once and nothing stays behind.
    // Built package only: from the sources tsx has loaded esbuild in this thread already, and
    // a synchronous esbuild run beside tsx's esbuild service never returns there.
    if (RUNNING_BUILT) process.env.ESBUILD_WORKER_THREADS ??= '0';
    const esbuild = createRequire(import.meta.url)('esbuild') as { transformSync: TransformSync };
    transform = esbuild.transformSync;
  }
  return transform;
}

function isFileSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier.startsWith('/') ||
    specifier.startsWith('file:')
  );
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
}

/** A package source's up-to-date compiled twin, in the built package only. */
function twinUrl(url: string): string | undefined {
  if (!RUNNING_BUILT || !url.startsWith('file:')) return undefined;
  const [bare = url, query] = url.split('?', 2);
  const twin = freshTwin(fileURLToPath(bare));
  if (twin === undefined) return undefined;
  const href = pathToFileURL(twin).href;
  return query === undefined ? href : `${href}?${query}`;
}

/** `x.js` that does not exist: its compiled twin, else `x.ts` (what TypeScript imports mean). */
function missingJsFallback(specifier: string, parentURL: string | undefined): string | undefined {
  if (!RUNNING_BUILT || !isFileSpecifier(specifier) || !specifier.endsWith('.js')) return undefined;
  let url: URL;
  try {
    url = new URL(specifier, parentURL);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'file:') return undefined;
  const twin = twinUrl(url.href);
  if (twin !== undefined) return twin;
  const ts = url.href.replace(/\.js$/, '.ts');
  return existsSync(fileURLToPath(ts)) ? ts : undefined;
}

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
  let resolved: { url: string };
  try {
    resolved = await next(specifier, context);
  } catch (err) {
    const fallback = isNotFound(err) ? missingJsFallback(specifier, context.parentURL) : undefined;
    if (fallback === undefined) throw err;
    return { url: fallback };
  }
  const twin = twinUrl(resolved.url);
  return twin === undefined ? resolved : { ...resolved, url: twin };
}

/** The files these hooks compile from TypeScript (an ES module, wherever it lives). */
function compiles(url: string): boolean {
  if (!url.startsWith('file:')) return false;
  if (url.endsWith('.script')) return true;
  if (url.endsWith('.d.ts')) return false;
  // From the sources, tsx compiles the package's own `.ts` modules; only eventscripts are ours.
  if (RUNNING_BUILT) return url.endsWith('.ts') || url.endsWith('.mts');
  return url.endsWith('.ts') && hasEventScriptShebang(fileURLToPath(url));
}

export async function load(url: string, context: object, next: NextLoad): Promise<LoadResult> {
  const bare = url.split('?')[0] ?? url;
  if (compiles(bare)) {
    const file = fileURLToPath(bare);
    const out = compiler()(readFileSync(file, 'utf8'), {
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
