// The command service (runtime/cli/service.ts) and the C front end without a cluster: the
// service runs in this test process, next to a ctdbd socket path where no daemon listens, so
// the served commands that need no daemon (`version`, `listnodes`) and the daemon-down path
// can be checked, along with the socket's name, mode and lifetime, and bad requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliService, type CliService } from '../../runtime/cli/service.js';
import {
  FrameType,
  cliServiceSocketPath,
  decodeFrames,
  decodeRequest,
  encodeRequest,
  type ReplyFrame,
} from '../../runtime/cli/service-wire.js';
import { runCommand } from '../support/netlab.js';
import { frontEndTree } from './ctdb-tool.js';

const log = { notice: () => undefined, warning: () => undefined };

/** Sends raw bytes to a socket and collects the reply frames until the service closes. */
function exchange(path: string, bytes: Buffer, endAfter = false): Promise<ReplyFrame[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    s.on('connect', () => {
      if (endAfter) s.end(bytes);
      else s.write(bytes);
    });
    s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(decodeFrames(got).frames);
    });
  });
}

describe('ctdb command service and front end, no daemon', () => {
  let dir: string;
  let base: string;
  let socket: string;
  let service: CliService;
  let tree: ReturnType<typeof frontEndTree>;

  before(async () => {
    tree = frontEndTree();
    dir = mkdtempSync(join(tmpdir(), 'ctdb-svc-'));
    base = join(dir, 'base');
    mkdirSync(join(base, 'run'), { recursive: true });
    writeFileSync(join(base, 'nodes'), '10.9.0.1\n#10.9.0.2\n10.9.0.3\n');
    socket = join(base, 'run', 'ctdbd.socket');
    service = await startCliService({ ctdbdSocket: socket, log });
  });
  after(() => {
    service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The environment of a caller whose ctdbd socket comes from CTDB_BASE (test mode). */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      CTDB_TEST_MODE: 'yes',
      CTDB_BASE: base,
      ...extra,
    };
    delete e.CTDB_SOCKET;
    return e;
  };
  /** A PATH without node: a front end that falls back fails, so success means "served". */
  const noNode = { PATH: '/nonexistent' };

  test('the socket is <ctdbd socket>.cli, mode 0600', () => {
    assert.equal(service.path, `${socket}.cli`);
    assert.equal(cliServiceSocketPath(socket), service.path);
    const st = statSync(service.path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  test('the front end finds the service by the same rule (CTDB_BASE in test mode)', async () => {
    const r = await runCommand([tree.ctdb, 'version'], { env: env(noNode) });
    assert.deepEqual(r, { code: 0, signal: null, stdout: '4.17.12-Debian\n', stderr: '' });
    const m = await runCommand([tree.ctdb, '-X', 'listnodes'], { env: env(noNode) });
    assert.deepEqual(m, {
      code: 0,
      signal: null,
      stdout: '|0|10.9.0.1|\n|2|10.9.0.3|\n',
      stderr: '',
    });
  });

  test('…and by CTDB_SOCKET', async () => {
    const r = await runCommand([tree.ctdb, 'version'], {
      env: env({ ...noNode, CTDB_SOCKET: socket }),
    });
    assert.equal(r.stdout, '4.17.12-Debian\n');
    assert.equal(r.code, 0);
  });

  test('served and fallen-back answers are the same when ctdbd is not there', async () => {
    // `pnn` is served: the service tries ctdbd's socket, fails, and prints the tool's text.
    const served = await runCommand([tree.ctdb, 'pnn'], { env: env(noNode) });
    const bundle = await runCommand([process.execPath, tree.bundle, 'pnn'], { env: env() });
    assert.equal(bundle.code, 1);
    assert.match(bundle.stderr, /Failed to connect to CTDB daemon/);
    assert.deepEqual(served, bundle);
  });

  test('what is not served runs the bundled tool (help, option errors, other commands)', async () => {
    for (const args of [['--usage'], ['-Z', 'pnn'], ['bogus'], ['shutdown'], []]) {
      const notServed = await runCommand([tree.ctdb, ...args], { env: env(noNode) });
      assert.equal(notServed.code, 127, `${args.join(' ')}: ${notServed.stderr}`);
      assert.match(notServed.stderr, /cannot run node/);
      const front = await runCommand([tree.ctdb, ...args], { env: env() });
      const bundle = await runCommand([process.execPath, tree.bundle, ...args], { env: env() });
      assert.deepEqual(front, bundle, args.join(' '));
    }
  });

  test('a relative CTDB_BASE is not served (it means another folder in the daemon)', async () => {
    const frames = await exchange(
      service.path,
      encodeRequest({ argv: ['version'], env: { CTDB_BASE: 'base', CTDB_SOCKET: socket } }),
    );
    assert.deepEqual(
      frames.map((f) => f.type),
      [FrameType.FALLBACK],
    );
  });

  test('a request over the wire: output frames then the exit status', async () => {
    const frames = await exchange(
      service.path,
      encodeRequest({ argv: ['version'], env: { CTDB_SOCKET: socket } }),
    );
    assert.deepEqual(
      frames.map((f) => [f.type, f.payload.toString('hex')]),
      [
        [FrameType.STDOUT, Buffer.from('4.17.12-Debian\n').toString('hex')],
        [FrameType.EXIT, '00000000'],
      ],
    );
  });

  test('garbage, truncated and oversized requests get an error frame; service carries on', async () => {
    const bad: [string, Buffer, boolean][] = [
      ['garbage', Buffer.from('hello, is anyone there?\n'), false],
      ['empty', Buffer.alloc(0), true],
      ['truncated', encodeRequest({ argv: ['pnn'], env: {} }).subarray(0, 15), true],
      ['oversized', Buffer.from('434c4931ffffff7f', 'hex'), false],
      ['lying count', Buffer.from('434c493108000000ffffff0f00000000', 'hex'), false],
    ];
    for (const [what, bytes, endAfter] of bad) {
      const frames = await exchange(service.path, bytes, endAfter);
      assert.equal(frames.length, 1, what);
      assert.equal(frames[0]!.type, FrameType.ERROR, what);
    }
    const r = await runCommand([tree.ctdb, 'version'], { env: env(noNode) });
    assert.equal(r.stdout, '4.17.12-Debian\n');
  });

  test('the request codec round-trips argv and environment', () => {
    const req = { argv: ['-n', 'all', 'status', 'ü', ''], env: { A: '1', B: 'x=y', C: '' } };
    assert.deepEqual(decodeRequest(encodeRequest(req)), req);
  });

  test('a client gone mid-request is harmless', async () => {
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(service.path, () => {
          s.write(encodeRequest({ argv: ['version'], env: {} }).subarray(0, 9 + i));
          s.destroy();
          resolve();
        });
        s.on('error', () => resolve());
      });
    }
    const r = await runCommand([tree.ctdb, 'version'], { env: env(noNode) });
    assert.equal(r.stdout, '4.17.12-Debian\n');
  });

  test('close removes the socket; the front end then runs the tool itself', async () => {
    const other = join(dir, 'other.socket');
    const s2 = await startCliService({ ctdbdSocket: other, log });
    assert.ok(existsSync(`${other}.cli`));
    s2.close();
    assert.ok(!existsSync(`${other}.cli`));
    const e = env({ CTDB_SOCKET: other });
    const front = await runCommand([tree.ctdb, 'pnn'], { env: e });
    const bundle = await runCommand([process.execPath, tree.bundle, 'pnn'], { env: e });
    assert.equal(front.code, 1);
    assert.deepEqual(front, bundle);
  });
});
