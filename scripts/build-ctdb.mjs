#!/usr/bin/env node
// Bundles the `ctdb` tool for fast start-up (run after `tsc -p tsconfig.build.json`):
//
//   dist/ctdb/ctdb.cjs          tools/ctdb.ts with the dispatcher and the command groups named in
//                               HOT (the node commands: pnn, status, …) in one CommonJS file. One
//                               file to read and no ES-module loader to start is what makes
//                               `ctdb pnn` fast: Node's ESM loader alone costs ~15-20 ms here.
//   dist/ctdb/<group>.js        every other command group (ip, event, natgw/lvs) as an ES
//   dist/ctdb/chunks/*.js       module with shared chunks, loaded by the dispatcher's import()
//                               only when one of its commands runs; npm packages they use are
//                               imported from node_modules, not bundled.
//
// The registry's `import('./<group>.js')` calls resolve against dist/ctdb/ at run time, so the
// bundle needs no path rewriting. Modules that find files next to themselves (the rawnet addon,
// the package root for shipped event scripts) walk up from import.meta.url and still find the
// package from dist/ctdb/. The CommonJS part must not use import.meta: any esbuild warning
// fails the build.
//
// Usage: node scripts/build-ctdb.mjs [--outdir DIR]
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const cliDir = join(root, 'runtime', 'cli');
const outIdx = process.argv.indexOf('--outdir');
const outdir = resolve(outIdx >= 0 ? process.argv[outIdx + 1] : join(root, 'dist', 'ctdb'));

/** Command groups bundled into ctdb.cjs itself; the rest load on demand. */
const HOT = new Set(['node-commands']);

const groups = readdirSync(cliDir)
  .filter((f) => f.endsWith('-commands.ts'))
  .map((f) => basename(f, '.ts'));
const lazy = groups.filter((g) => !HOT.has(g));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'silent',
  legalComments: 'none',
  absWorkingDir: root,
};

function failOnWarnings(result, what) {
  if (result.warnings.length === 0) return;
  for (const w of result.warnings) {
    const at = w.location === null ? '' : `${w.location.file}:${w.location.line}: `;
    process.stderr.write(`build-ctdb: ${what}: ${at}${w.text}\n`);
  }
  process.exit(1);
}

rmSync(outdir, { recursive: true, force: true });

// The lazily loaded groups: ES modules with shared chunks.
const lazyResult = await build({
  ...common,
  entryPoints: Object.fromEntries(lazy.map((g) => [g, join(cliDir, `${g}.ts`)])),
  format: 'esm',
  splitting: true,
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  // npm packages (netlink for the tickle code) stay imports resolved from node_modules: some
  // are CommonJS that read files relative to __dirname, which an ES bundle does not have.
  packages: 'external',
});
failOnWarnings(lazyResult, 'command groups');

// The entry: CommonJS, the lazy groups left as import() of the files built above.
const lazyImports = new Set(lazy.map((g) => `./${g}.js`));
const mainResult = await build({
  ...common,
  entryPoints: [join(root, 'tools', 'ctdb.ts')],
  format: 'cjs',
  outfile: join(outdir, 'ctdb.cjs'),
  plugins: [
    {
      name: 'lazy-command-groups',
      setup(b) {
        b.onResolve({ filter: /-commands\.js$/ }, (args) =>
          args.importer === join(cliDir, 'registry.ts') && lazyImports.has(args.path)
            ? { path: args.path, external: true }
            : undefined,
        );
      },
    },
  ],
});
failOnWarnings(mainResult, 'ctdb.cjs');
chmodSync(join(outdir, 'ctdb.cjs'), 0o755);

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
const files = listFiles(outdir);
const size = (p) => statSync(p).size;
process.stdout.write(
  `build-ctdb: ${relative(root, join(outdir, 'ctdb.cjs'))} ${kb(size(join(outdir, 'ctdb.cjs')))}` +
    ` (hot: ${[...HOT].join(', ')}); lazy groups ${lazy.join(', ')} and ${files.length - 1 - lazy.length}` +
    ` chunks, ${kb(files.reduce((n, p) => n + size(p), 0) - size(join(outdir, 'ctdb.cjs')))}\n`,
);
