// The built package runs its shipped TypeScript eventscripts as the JavaScript the build made
// of them (dist/events/…), with no TypeScript loader in the worker thread: no module-hooks
// thread, no tsx, no esbuild. An admin's own TypeScript script, which has no compiled twin,
// still runs with no build step: the worker registers the loader when it meets one.
// These drive the built worker pool (dist/runtime/eventd/ts-pool.js) with real scripts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventdClient } from '../../runtime/eventd/client.js';
import { makeFixture, ROOT, sleep } from './support.js';
import type { TsItem } from '../../runtime/eventd/ts-messages.js';
import type { TsOutcome, TsPool } from '../../runtime/eventd/ts-pool.js';

const SHIPPED = ['00.ctdb', '01.reclock', '05.system', '10.interface'];

/** Sources whose build output these tests exercise: a build older than any of them is stale. */
const BUILT_FROM = [
  'runtime/eventd/ts-pool.ts',
  'runtime/eventd/ts-worker.ts',
  'runtime/eventd/daemon.ts',
  'tools/ctdb-eventd.ts',
  'lib/eventscript/compiled-twin.ts',
  'lib/eventscript/register.ts',
  'lib/eventscript/loader-hooks.ts',
  ...SHIPPED.map((s) => `events/legacy/${s}.ts`),
];

function staleBuild(): string | undefined {
  for (const src of BUILT_FROM) {
    const out = join(ROOT, 'dist', src.replace(/\.ts$/, '.js'));
    const built = statSync(out, { throwIfNoEntry: false });
    if (built === undefined) return `${out} is missing: run npm run build`;
    if (statSync(join(ROOT, src)).mtimeMs > built.mtimeMs)
      return `${out} is older than ${src}: run npm run build`;
  }
  return undefined;
}
const skip = staleBuild();

let base: string;
let legacy: string;
let pool: TsPool;
const loaderFor: string[] = [];

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'ts-memory-test-'));
  legacy = join(base, 'events', 'legacy');
  mkdirSync(legacy, { recursive: true });
  mkdirSync(join(base, 'var'), { recursive: true });
  if (skip !== undefined) return;
  const mod = (await import(
    pathToFileURL(join(ROOT, 'dist/runtime/eventd/ts-pool.js')).href
  )) as typeof import('../../runtime/eventd/ts-pool.js');
  pool = new mod.TsPool(1, undefined, (path) => loaderFor.push(path));
});

after(() => {
  pool?.close();
  rmSync(base, { recursive: true, force: true });
});

function item(name: string, realPath: string): TsItem {
  return {
    scriptPath: join(legacy, `${name}.script`),
    realPath,
    version: statSync(realPath).mtimeMs,
    scriptName: name,
  };
}

function run(items: TsItem[], event: string): Promise<TsOutcome[]> {
  return pool.run({
    items,
    event,
    words: [],
    env: { ...process.env, CTDB_BASE: base, CTDB_SCRIPT_VARDIR: join(base, 'var') },
    deadline: Date.now() + 30_000,
    cancel: new AbortController().signal,
    runAll: true,
  });
}

test(
  'the shipped scripts run from their compiled twins with no TypeScript loader',
  { skip },
  async () => {
    const items = SHIPPED.map((s) => item(s, join(ROOT, 'events', 'legacy', `${s}.ts`)));
    // An event none of the four handles: each is loaded, and succeeds with no output.
    const outcomes = await run(items, 'startrecovery');
    assert.deepEqual(
      outcomes.map((o) => [o.result, o.output]),
      SHIPPED.map(() => [0, null]),
    );
    assert.equal(pool.live, 1);
    assert.equal(pool.withLoader, 0, `loader registered for ${loaderFor.join(', ')}`);
    assert.deepEqual(loaderFor, []);
  },
);

test("an admin's own TypeScript script, never compiled, still runs", { skip }, async () => {
  writeFileSync(
    join(legacy, 'admin-helper.ts'),
    `export function greeting(who: string): string {\n  return \`hello \${who}\`;\n}\n`,
  );
  const script = join(legacy, '50.admin.script');
  writeFileSync(
    script,
    `#!/usr/bin/env ctdb-eventscript
import { defineEventScript } from 'ctdb-ts/eventscript';
import { greeting } from './admin-helper.js';

interface Counted { readonly n: number }
const counted: Counted = { n: 3 };

export default defineEventScript({
  monitor(_args, ctx) {
    ctx.print(\`\${greeting('admin')} \${counted.n}\\n\`);
  },
});
`,
    { mode: 0o755 },
  );
  const outcomes = await run([item('50.admin', script)], 'monitor');
  assert.deepEqual(
    outcomes.map((o) => [o.result, o.output]),
    [[0, 'hello admin 3\n']],
  );
  assert.deepEqual(loaderFor, [script]);
  assert.equal(pool.withLoader, 1);

  // Edited in place: the new version runs (the module cache is keyed by mtime).
  writeFileSync(
    script,
    `#!/usr/bin/env ctdb-eventscript
import { defineEventScript } from 'ctdb-ts/eventscript';
export default defineEventScript({
  monitor(_args, ctx) {
    ctx.print('edited\\n');
    return 2;
  },
});
`,
  );
  const later = new Date(Date.now() + 2000);
  utimesSync(script, later, later);
  const again = await run([item('50.admin', script)], 'monitor');
  assert.deepEqual(
    again.map((o) => [o.result, o.output]),
    [[2, 'edited\n']],
  );
});

/** Threads of a process, and the command names of its descendants. */
function threadsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}
function descendants(pid: number): string[] {
  const names: string[] = [];
  const visit = (p: number): void => {
    for (const t of readdirSync(`/proc/${p}/task`)) {
      let kids: string;
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue; // the thread ended meanwhile
      }
      for (const k of kids.split(' ').filter((c) => c.trim() !== '')) {
        try {
          names.push(readFileSync(`/proc/${k}/comm`, 'utf8').trim());
          visit(Number(k));
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  visit(pid);
  return names;
}

test(
  'the built event daemon: shipped scripts with no loader thread, then an admin script',
  { skip },
  async () => {
    const fx = makeFixture();
    // A shipped script enabled as `ctdb enablescript` does: a link to the package's source.
    symlinkSync(
      join(ROOT, 'events', 'legacy', '01.reclock.ts'),
      join(fx.legacy, '01.reclock.script'),
    );
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'tools', 'ctdb-eventd.js')], {
      env: { ...fx.env, CTDB_INTERACTIVE: 'yes' },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: fx.base,
    });
    let log = '';
    proc.stdout.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const socket = join(fx.base, 'run', 'eventd.socket');
    let client: EventdClient | undefined;
    try {
      for (let i = 0; i < 300 && !existsSync(socket) && proc.exitCode === null; i++)
        await sleep(50);
      assert.ok(existsSync(socket), `the daemon did not start:\n${log}`);
      client = await EventdClient.connect(socket);
      for (let i = 0; i < 3; i++)
        assert.equal(await client.run('legacy', 'monitor', null, 30), 0, log);
      const shippedOnly = threadsOf(proc.pid!);
      assert.deepEqual(
        descendants(proc.pid!).filter((n) => n.includes('esbuild')),
        [],
        'no esbuild process for compiled scripts',
      );

      fx.write(
        '50.admin.script',
        `#!/usr/bin/env ctdb-eventscript
import { defineEventScript } from 'ctdb-ts/eventscript';
const code: number = 0;
export default defineEventScript({ monitor: () => code });
`,
      );
      for (let i = 0; i < 3; i++)
        assert.equal(await client.run('legacy', 'monitor', null, 30), 0, log);
      // The one worker has now registered the loader: Node's module-hooks thread is the one more.
      assert.equal(threadsOf(proc.pid!), shippedOnly + 1, log);
      assert.equal(proc.exitCode, null, log);
    } finally {
      client?.close();
      proc.kill('SIGTERM');
      for (let i = 0; i < 100 && proc.exitCode === null && proc.signalCode === null; i++)
        await sleep(50);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      fx.cleanup();
    }
  },
);
