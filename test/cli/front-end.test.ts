// The C front end (lib/native/ctdb_front.c) against the bundled tool it replaces, on a real
// 3-node cluster of our ctdbd: for every node command line the compatibility test runs, both
// print the same stdout and stderr and exit the same way — while ctdbd serves the command, and
// when the front end has to run the tool itself (service socket gone, daemon down). Also: a bad
// request or a client killed mid-command leaves the daemon healthy, and `ctdb status | head -1`
// ends quietly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseGlobalOptions } from '../../runtime/cli/main.js';
import { SERVED_COMMANDS } from '../../runtime/cli/service.js';
import { FrameType, cliServiceSocketPath, decodeFrames } from '../../runtime/cli/service-wire.js';
import { CtdbCluster, debianClusterUnavailable, ourCtdbd } from '../support/debian-ctdb.js';
import { runCommand, type RunResult } from '../support/netlab.js';
import { frontEndTree } from './ctdb-tool.js';
import { READ_ONLY_COMMANDS } from './node-command-list.js';

/** Masks what legitimately differs between two runs a moment apart. */
function mask(r: RunResult): RunResult {
  const m = (text: string): string =>
    text
      .replace(/time=\d+\.\d{6} sec/g, 'time=T sec')
      .replace(/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, 'DATE')
      .replace(/\(\d{3} \d\d:\d\d:\d\d\)/g, '(SPAN)')
      .replace(/Duration of last recovery\/failover: \d+\.\d+ seconds/, 'Duration: D');
  return { ...r, stdout: m(r.stdout), stderr: m(r.stderr) };
}

/** Would ctdbd serve this command line (as opposed to answering "run it yourself")? */
function served(args: readonly string[]): boolean {
  try {
    const p = parseGlobalOptions(args, {});
    return p.kind === 'run' && p.words[0] !== undefined && SERVED_COMMANDS.has(p.words[0]);
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe(
  'ctdb front end vs the bundled tool, against our ctdbd',
  {
    skip: debianClusterUnavailable(ourCtdbd) ?? false,
  },
  () => {
    let cluster: CtdbCluster;
    let tree: ReturnType<typeof frontEndTree>;
    let rssBefore = 0;
    /** Node 0's ctdbd resident memory in kB. */
    const rss = (): number => {
      const pid = cluster.node(0).process!.pid;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m === null ? 0 : Number(m[1]);
    };

    before(async () => {
      tree = frontEndTree();
      cluster = await CtdbCluster.start({ daemon: ourCtdbd, label: 'front' });
      rssBefore = rss();
    });
    after(async () => {
      await cluster?.stop();
    });

    /**
     * The front end. `mustServe`: run it with no `node` on PATH, so that it can only succeed if
     * ctdbd served the command (falling back would fail to start the tool).
     */
    const front = async (args: readonly string[], mustServe = false, pnn = 0): Promise<RunResult> =>
      mask(
        await runCommand([tree.ctdb, ...args], {
          env: { ...cluster.env(pnn), ...(mustServe ? { PATH: '/nonexistent' } : {}) },
          timeoutMs: 60_000,
        }),
      );
    const bundle = async (args: readonly string[], pnn = 0): Promise<RunResult> =>
      mask(
        await runCommand([process.execPath, tree.bundle, ...args], {
          env: cluster.env(pnn),
          timeoutMs: 60_000,
        }),
      );

    async function same(args: readonly string[], mustServe: boolean): Promise<RunResult> {
      const b = await bundle(args);
      const f = await front(args, mustServe);
      assert.deepEqual(f, b, `ctdb ${args.join(' ')}`);
      return f;
    }

    describe('served by ctdbd', () => {
      for (const args of READ_ONLY_COMMANDS) {
        test(`ctdb ${args.join(' ')}`, async () => {
          await same(args, served(args));
        });
      }

      // The address commands ctdbd serves (the eventscripts' usual calls among them).
      const addressCommands: readonly (readonly string[])[] = [
        ['ip'],
        ['-X', 'ip', 'all'],
        ['ip', '-v'],
        ['ifaces'],
        ['-X', 'ifaces'],
        ['ipinfo', '10.0.0.1'],
        ['gettickles', '10.0.0.1'],
        ['-X', 'gettickles', '10.0.0.1', '445'],
        ['setifacelink', 'nosuch', 'up'],
        ['ipreallocate'],
      ];
      for (const args of addressCommands) {
        test(`ctdb ${args.join(' ')}`, async () => {
          await same(args, true);
        });
      }

      /** do, "already", undo, "not", each by both tools from the same starting state. */
      async function toggle(doArgs: readonly string[], undoArgs: readonly string[]): Promise<void> {
        const f1 = await front(doArgs, true);
        assert.equal(f1.code, 0, f1.stderr);
        await same(doArgs, true);
        const bUndo = await bundle(undoArgs);
        assert.equal(bUndo.code, 0, bUndo.stderr);
        await same(undoArgs, true);
        assert.deepEqual(await bundle(doArgs), f1);
        assert.deepEqual(await front(undoArgs, true), bUndo);
      }

      test('disable / enable', async () => {
        await toggle(['-n', '2', 'disable'], ['-n', '2', 'enable']);
      });
      test('stop / continue', async () => {
        await toggle(['-n', '2', 'stop'], ['-n', '2', 'continue']);
      });
      test('ban / unban', async () => {
        await toggle(['-n', '2', 'ban', '60'], ['-n', '2', 'unban']);
        await cluster.waitHealthy(60_000);
      });
      test('setvar, setdebug, setlmasterrole', async () => {
        const cases: [readonly string[], readonly string[]][] = [
          [
            ['setvar', 'RecoverTimeout', '0x1f'],
            ['setvar', 'RecoverTimeout', '30'],
          ],
          [
            ['-n', '1', 'setdebug', 'INFO'],
            ['-n', '1', 'setdebug', 'NOTICE'],
          ],
          [
            ['-n', '2', 'setlmasterrole', 'off'],
            ['-n', '2', 'setlmasterrole', 'on'],
          ],
        ];
        for (const [set, reset] of cases) {
          assert.deepEqual(await front(set, true), await bundle(set));
          // What the setters change, read back by both (not `status`: a role change starts a
          // recovery, so the generation moves between two reads).
          const node = set.includes('-n') ? set[1]! : '0';
          for (const read of [['getvar', 'RecoverTimeout'], ['getdebug'], ['getcapabilities']])
            await same(['-n', node, ...read], true);
          assert.deepEqual(await front(reset, true), await bundle(reset));
        }
        await cluster.waitHealthy(60_000);
      });
      test('recover', async () => {
        const f = await front(['recover'], true);
        assert.deepEqual(f, { code: 0, signal: null, stdout: '', stderr: '' });
        await cluster.waitHealthy(60_000);
      });
    });

    describe('ctdbd stays healthy', () => {
      /** The number of clients ctdbd reports (`ctdb ping`). */
      const clients = async (): Promise<number> => {
        const r = await bundle(['ping']);
        const m = /\((\d+) clients\)/.exec(r.stdout);
        assert.ok(m !== null, r.stdout + r.stderr);
        return Number(m[1]);
      };

      test('a garbage request gets an error frame, and ctdbd still answers', async () => {
        const path = cliServiceSocketPath(cluster.node(0).socket);
        const frames = await new Promise<number[]>((resolve, reject) => {
          const s = connect(path, () => s.write('GET / HTTP/1.0\r\n\r\n'));
          let got = Buffer.alloc(0);
          s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
          s.on('error', reject);
          s.on('close', () => resolve(decodeFrames(got).frames.map((f) => f.type)));
          setTimeout(() => s.destroy(), 10_000).unref();
        });
        assert.deepEqual(frames, [FrameType.ERROR]);
        assert.deepEqual(await front(['pnn'], true), {
          code: 0,
          signal: null,
          stdout: '0\n',
          stderr: '',
        });
      });

      test('clients killed mid-command leave ctdbd healthy, with no connection left over', async () => {
        const before = await clients();
        // A command that waits (recover polls until the generation changes), killed while it
        // does; and quick ones killed at assorted moments.
        const victims: [readonly string[], number][] = [
          [['recover'], 300],
          [['status'], 5],
          [['status'], 20],
          [['nodestatus', 'all'], 10],
          [['listvars'], 15],
        ];
        for (const [args, afterMs] of victims) {
          const child = spawn(tree.ctdb, args, {
            env: { ...cluster.env(0), PATH: '/nonexistent' },
            stdio: 'ignore',
          });
          // Listen before the kill: a quick command may be over before it.
          const closed = new Promise<NodeJS.Signals | null>((r) => {
            child.once('close', (_code, signal) => r(signal));
          });
          await sleep(afterMs);
          child.kill('SIGKILL');
          const signal = await closed;
          // `recover` takes seconds: it must have been killed while ctdbd was running it.
          if (args[0] === 'recover') assert.equal(signal, 'SIGKILL');
        }
        await cluster.waitHealthy(60_000);
        assert.ok(cluster.node(0).process?.running, 'node 0 still running');
        // The killed commands' connections to ctdbd are closed (within a bounded wait).
        let now = await clients();
        for (let i = 0; i < 20 && now !== before; i++) {
          await sleep(250);
          now = await clients();
        }
        assert.equal(now, before);
        await same(['nodestatus', 'all'], true);
      });

      test('the run time limit (-T) ends a served command as it ends the tool', async () => {
        const before = await clients();
        // recover waits seconds for a new generation: longer than one second.
        const f = await front(['-T', '1', 'recover'], true);
        assert.deepEqual(f, {
          code: 1,
          signal: null,
          stdout: '',
          stderr: 'Maximum runtime exceeded - exiting\n',
        });
        assert.deepEqual(await bundle(['-T', '1', 'recover']), f);
        await cluster.waitHealthy(60_000);
        // The stopped command's connection to ctdbd was closed.
        let now = await clients();
        for (let i = 0; i < 20 && now !== before; i++) {
          await sleep(250);
          now = await clients();
        }
        assert.equal(now, before);
      });

      test('`ctdb status | head -1` ends quietly', async () => {
        const r = await runCommand(['sh', '-c', `"${tree.ctdb}" status | head -1; echo "rc=$?"`], {
          env: { ...cluster.env(0), PATH: `/nonexistent:${process.env.PATH ?? '/usr/bin:/bin'}` },
          timeoutMs: 30_000,
        });
        assert.equal(r.stderr, '');
        assert.equal(r.stdout, 'Number of nodes:3\nrc=0\n');
        const vars = await runCommand(['sh', '-c', `"${tree.ctdb}" listvars | head -1`], {
          env: cluster.env(0),
          timeoutMs: 30_000,
        });
        assert.equal(vars.stderr, '');
        assert.equal(vars.code, 0);
        assert.match(vars.stdout, /^\w+ +=/);
      });

      test('ctdbd memory before and after serving commands', (t) => {
        t.diagnostic(`node 0 ctdbd RSS: ${rssBefore} kB before the first command, ${rss()} kB now`);
        assert.ok(rss() > 0);
      });
    });

    describe('falling back to the bundled tool', () => {
      test('service socket removed: every command line still matches', async () => {
        rmSync(cliServiceSocketPath(cluster.node(0).socket), { force: true });
        for (const args of READ_ONLY_COMMANDS) await same(args, false);
      });

      test('daemon down: the same connection failure text and status', async () => {
        const env = { ...cluster.env(0), CTDB_SOCKET: join(cluster.dir, 'nope.socket') };
        const f = await runCommand([tree.ctdb, 'status'], { env });
        const b = await runCommand([process.execPath, tree.bundle, 'status'], { env });
        assert.equal(f.code, 1);
        assert.deepEqual(f, b);
      });
    });
  },
);
