// bench/takeip: `takeip` then `releaseip` of 1, 10 and 100 public addresses through our
// events/legacy/10.interface.ts versus CTDB's shell 10.interface.script (Debian's, with its
// `functions`), both inside the same fresh network namespace, printed side by side.
//
// What is measured, per address count N (median of ROUNDS runs, and of at least ~30 address
// pairs for small N):
//   shell — the event daemon's way to run a shell eventscript: fork+exec of
//           10.interface.script per event (it sources `functions`, runs ip/iptables/ss);
//   ours  — the event daemon's fast path for a TypeScript eventscript: the module is loaded
//           once, then each event is one hook call in the same process (netlink, /proc);
//   ours via launcher — `ctdb-eventscript FILE EVENT …` per event: a fresh Node process each
//           time, as a non-TypeScript-aware daemon (the real ctdb-eventd) would run it.
// The scripts' external `ctdb` calls go to a stub that exits 0 (no daemon in the namespace);
// neither script calls ctdb on takeip/releaseip, so this touches neither side.
//
// Run as root: `node --import tsx bench/takeip.ts` (options: --rounds N, --launcher-max N).
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const OUR_SCRIPT = join(ROOT, 'events/legacy/10.interface.ts');
const SHELL_SCRIPT = '/usr/share/ctdb/events/legacy/10.interface.script';
const SHELL_FUNCTIONS = '/etc/ctdb/functions';
const COUNTS = [1, 10, 100];
const IFACE = 'veth0';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The N addresses used: 10.90.x.y/16. */
function addresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.90.${(i >> 8) & 255}.${(i & 255) + 1}`);
}

interface Sample {
  takeMs: number;
  releaseMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ---------------------------------------------------------------- inside the namespace

async function inner(base: string): Promise<void> {
  const rounds = arg('--rounds', 3);
  const launcherMax = arg('--launcher-max', 10);
  const env = {
    ...process.env,
    CTDB_BASE: base,
    CTDB_SCRIPT_VARDIR: join(base, 'var'),
    CTDB: join(base, 'ctdb'),
  };
  Object.assign(process.env, env);

  const { eventScriptOf, runHook } = await import('../lib/eventscript/run.js');
  const { defaultLogger } = await import('../lib/eventscript/context.js');
  const { listAddresses } = await import('../lib/net/index.js');
  const script = eventScriptOf(await import(pathToFileURL(OUR_SCRIPT).href), OUR_SCRIPT);
  const logger = defaultLogger({ CTDB_DEBUGLEVEL: 'ERROR' });

  const countHosted = async (): Promise<number> =>
    (await listAddresses({ iface: IFACE, family: 4 })).filter((a) => a.ip.startsWith('10.90.'))
      .length;

  async function ours(event: string, words: string[]): Promise<void> {
    let out = '';
    const status = await runHook({
      script,
      scriptName: '10.interface',
      scriptPath: join(base, 'events/legacy/10.interface.ts'),
      event,
      words,
      env: process.env,
      signal: AbortSignal.timeout(30_000),
      print: (t) => (out += t),
      logger: () => logger,
    });
    if (status !== 0) throw new Error(`ours ${event} ${words.join(' ')} → ${status}: ${out}`);
  }

  function exec(cmd: string, args: string[]): Promise<void> {
    return new Promise((res, rej) => {
      const child = spawn(cmd, args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) =>
        code === 0 ? res() : rej(new Error(`${cmd} ${args.join(' ')} → ${code}: ${out}`)),
      );
    });
  }

  const shell = (event: string, words: string[]): Promise<void> =>
    exec(join(base, 'events/legacy/10.interface.script'), [event, ...words]);
  const launcher = (event: string, words: string[]): Promise<void> =>
    exec(process.execPath, [
      '--import',
      'tsx',
      join(ROOT, 'tools/ctdb-eventscript.ts'),
      join(base, 'events/legacy/10.interface.ts'),
      event,
      ...words,
    ]);

  async function measure(
    run: (event: string, words: string[]) => Promise<void>,
    n: number,
  ): Promise<Sample> {
    const ips = addresses(n);
    let t0 = performance.now();
    for (const ip of ips) await run('takeip', [IFACE, ip, '16']);
    const takeMs = performance.now() - t0;
    const hosted = await countHosted();
    if (hosted !== n) throw new Error(`after takeip ${hosted} of ${n} addresses are hosted`);
    t0 = performance.now();
    for (const ip of ips) await run('releaseip', [IFACE, ip, '16']);
    const releaseMs = performance.now() - t0;
    if ((await countHosted()) !== 0) throw new Error('addresses left after releaseip');
    return { takeMs, releaseMs };
  }

  // Warm both paths once (page cache, module load) before timing.
  await measure(shell, 1);
  await measure(ours, 1);

  const results: Record<string, Record<number, Sample>> = { shell: {}, ours: {}, launcher: {} };
  for (const n of COUNTS) {
    for (const [name, run] of [
      ['shell', shell],
      ['ours', ours],
      ['launcher', launcher],
    ] as const) {
      if (name === 'launcher' && n > launcherMax) continue;
      const samples: Sample[] = [];
      // Small N repeats more, so every figure rests on at least ~30 address pairs.
      const reps = name === 'launcher' ? 1 : Math.max(rounds, Math.ceil(30 / n));
      for (let r = 0; r < reps; r++) samples.push(await measure(run, n));
      results[name]![n] = {
        takeMs: median(samples.map((s) => s.takeMs)),
        releaseMs: median(samples.map((s) => s.releaseMs)),
      };
    }
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

// ---------------------------------------------------------------- outside: set up and report

function sh(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

function outer(): void {
  if (process.getuid?.() !== 0) {
    console.error('bench/takeip needs root (it creates a network namespace)');
    process.exit(1);
  }
  const ns = `h2bbench${process.pid}`;
  const base = mkdtempSync(join(tmpdir(), 'bench-takeip-'));
  try {
    // A CTDB_BASE both scripts share: functions + the shell script, a link to ours, the
    // public addresses, and a `ctdb` stub.
    mkdirSync(join(base, 'events/legacy'), { recursive: true });
    mkdirSync(join(base, 'var'));
    copyFileSync(SHELL_FUNCTIONS, join(base, 'functions'));
    copyFileSync(SHELL_SCRIPT, join(base, 'events/legacy/10.interface.script'));
    chmodSync(join(base, 'events/legacy/10.interface.script'), 0o755);
    symlinkSync(OUR_SCRIPT, join(base, 'events/legacy/10.interface.ts'));
    writeFileSync(join(base, 'public_addresses'), `10.90.0.0/16 ${IFACE}\n`);
    writeFileSync(join(base, 'ctdb'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(base, 'ctdb'), 0o755);

    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'veth1']);
    sh(['ip', '-n', ns, 'link', 'set', IFACE, 'up']);
    sh(['ip', '-n', ns, 'link', 'set', 'veth1', 'up']);

    const child = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        import.meta.filename,
        '--inner',
        base,
        ...process.argv.slice(2),
      ],
      { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 24 },
    );
    if (child.status !== 0) throw new Error(`benchmark failed:\n${child.stdout}\n${child.stderr}`);
    const results = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<
      string,
      Record<number, Sample>
    >;
    report(results);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(base, { recursive: true, force: true });
  }
}

function report(results: Record<string, Record<number, Sample>>): void {
  const f = (ms: number): string => ms.toFixed(1).padStart(9);
  const per = (ms: number, n: number): string => (ms / n).toFixed(2).padStart(8);
  const ratio = (a: number, b: number): string =>
    `${(a / b).toFixed(a / b < 1 ? 3 : 1)}×`.padStart(7);
  console.log('takeip + releaseip through 10.interface, same network namespace (times in ms)');
  console.log('');
  console.log(
    '    N |  shell take  release    total  per-ip |  ours take  release    total  per-ip | shell/ours',
  );
  console.log('-'.repeat(104));
  for (const n of COUNTS) {
    const s = results.shell![n]!;
    const o = results.ours![n]!;
    const st = s.takeMs + s.releaseMs;
    const ot = o.takeMs + o.releaseMs;
    console.log(
      `${String(n).padStart(5)} | ${f(s.takeMs)} ${f(s.releaseMs)} ${f(st)} ${per(st, n)} | ${f(o.takeMs)} ${f(o.releaseMs)} ${f(ot)} ${per(ot, n)} | ${ratio(st, ot)}`,
    );
  }
  const launched = Object.entries(results.launcher ?? {});
  if (launched.length > 0) {
    console.log('');
    console.log(
      'ours via `ctdb-eventscript` (a new Node process per event, as a daemon without the fast path runs it):',
    );
    for (const [n, s] of launched) {
      const t = s.takeMs + s.releaseMs;
      const shellT = results.shell![Number(n)]!.takeMs + results.shell![Number(n)]!.releaseMs;
      console.log(
        `${n.padStart(5)} | total ${f(t)} per-ip ${per(t, Number(n))} | shell/launcher ${ratio(shellT, t)}`,
      );
    }
  }
}

if (process.argv[2] === '--inner') await inner(process.argv[3]!);
else outer();
