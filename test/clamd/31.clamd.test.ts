// 31.clamd's monitor against a small server speaking clamd's PING/PONG on the configured Unix
// socket (a real clamd cannot load signatures offline): it fails when the socket stops
// answering and passes again when it answers, with CTDB's messages — the same ones CTDB
// 4.17's own 31.clamd prints given the same socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceName } from '../../events/legacy/31.clamd.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LAUNCHER = join(ROOT, 'tools/ctdb-eventscript.ts');
const SCRIPT = join(ROOT, 'events/legacy/31.clamd.ts');
const REFERENCE = '/usr/share/ctdb/events/legacy/31.clamd.script';
const TSX = fileURLToPath(import.meta.resolve('tsx'));

interface Result {
  code: number;
  output: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, output: stdout + stderr });
    });
  });
}

/** A clamd stand-in: answers `zPING\0` with `PONG\0`, or stays silent when `mute`. */
class FakeClamd {
  mute = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly path: string) {}

  async start(): Promise<void> {
    if (this.server !== undefined) return; // already listening
    rmSync(this.path, { force: true });
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (!this.mute && got.includes('PING\0')) s.end('PONG\0');
      });
      s.on('error', () => undefined);
    });
    const server = this.server;
    await new Promise<void>((r) => server.listen(this.path, r));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('31.clamd', () => {
  let dir: string;
  let clamd: FakeClamd;
  let env: NodeJS.ProcessEnv;
  let name: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'h7-clamd-'));
    mkdirSync(join(dir, 'base'));
    if (existsSync('/etc/ctdb/functions'))
      copyFileSync('/etc/ctdb/functions', join(dir, 'base', 'functions'));
    clamd = new FakeClamd(join(dir, 'clamd.ctl'));
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CTDB_BASE: join(dir, 'base'),
      CTDB_SCRIPT_VARDIR: join(dir, 'vardir'),
      CTDB_CLAMD_SOCKET: clamd.path,
    };
    name = await serviceName(env);
  });
  after(async () => {
    await clamd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ours = (e: NodeJS.ProcessEnv = env): Promise<Result> =>
    run(process.execPath, ['--import', TSX, LAUNCHER, SCRIPT, 'monitor'], e);

  test('monitor follows the socket: answering, gone, answering again', async () => {
    await clamd.start();
    assert.deepEqual(await ours(), { code: 0, output: '' });
    await clamd.stop();
    const down = await ours();
    assert.equal(down.code, 1);
    assert.equal(down.output, `ERROR: ${name} not listening on ${clamd.path}\n`);
    await clamd.start();
    assert.deepEqual(await ours(), { code: 0, output: '' });
  });

  test('with CTDB_CLAMD_PING=yes a listening but mute daemon fails', async () => {
    await clamd.start();
    const ping = { ...env, CTDB_CLAMD_PING: 'yes' };
    assert.equal((await ours(ping)).code, 0);
    clamd.mute = true;
    try {
      // Without the ping check it passes, as CTDB's does; with it, it fails.
      assert.equal((await ours()).code, 0);
      const r = await ours(ping);
      assert.equal(r.code, 1);
      assert.equal(r.output, `ERROR: ${name} not answering PING on ${clamd.path}\n`);
    } finally {
      clamd.mute = false;
    }
  });

  test('no socket configured is an error with CTDB’s message', async () => {
    const e = { ...env };
    delete e.CTDB_CLAMD_SOCKET;
    assert.deepEqual(await ours(e), {
      code: 1,
      output: 'ERROR: ctdb_check_unix_socket() requires socket path\n',
    });
  });

  test(
    'the same outcomes and messages as CTDB 4.17’s 31.clamd',
    {
      skip:
        existsSync(REFERENCE) && existsSync('/etc/ctdb/functions')
          ? false
          : 'Debian ctdb not installed',
    },
    async () => {
      const reference = (e: NodeJS.ProcessEnv = env): Promise<Result> =>
        run(REFERENCE, ['monitor'], e);
      await clamd.stop();
      await clamd.start();
      assert.deepEqual(await ours(), await reference());
      await clamd.stop();
      const want = await reference();
      assert.equal(want.code, 1);
      assert.deepEqual(await ours(), want);
      const e = { ...env };
      delete e.CTDB_CLAMD_SOCKET;
      assert.deepEqual(await ours(e), await reference(e));
    },
  );

  test(
    'startup stops then starts the service; a failed start fails with its status',
    {
      skip:
        existsSync(REFERENCE) &&
        existsSync('/etc/ctdb/functions') &&
        !existsSync('/etc/init.d/clamav-daemon')
          ? false
          : 'needs Debian ctdb, and no real ClamAV service to disturb',
    },
    async () => {
      // No clamav service here, so `service clamav start` fails: both scripts pass that on.
      const theirs = await run(REFERENCE, ['startup'], env);
      const mine = await run(process.execPath, ['--import', TSX, LAUNCHER, SCRIPT, 'startup'], env);
      assert.notEqual(theirs.code, 0);
      assert.deepEqual(mine, theirs);
    },
  );
});
