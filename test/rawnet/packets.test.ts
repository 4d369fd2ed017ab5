// The bytes our raw sends put on the wire (captured independently with a Python packet
// socket), argument checking in the addon, and tools/ctdb_killtcp's messages and exit codes
// compared with CTDB's own binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { rawnet } from '../../lib/tcp/native.js';
import { RawNetError } from '../../lib/tcp/index.js';
import { KILLTCP, macOf, op, ROOT } from './helpers.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

// One's-complement sum over 16-bit words; a segment with a correct checksum sums to 0xffff.
function onesSum(...parts: Buffer[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.length; i += 2) sum += p.readUInt16BE(i);
    if (p.length % 2 === 1) sum += (p[p.length - 1] ?? 0) << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudo(src: Buffer, dst: Buffer, proto: number, len: number): Buffer {
  const tail = Buffer.alloc(src.length === 4 ? 4 : 8);
  if (src.length === 4) {
    tail.writeUInt8(proto, 1);
    tail.writeUInt16BE(len, 2);
  } else {
    tail.writeUInt32BE(len, 0);
    tail.writeUInt8(proto, 7);
  }
  return Buffer.concat([src, dst, tail]);
}

describe('bytes on the wire', { skip }, () => {
  let lab: NetLab;
  let frames: Buffer[] = [];
  let mac = '';
  before(async () => {
    lab = await NetLab.create({ nodes: 1, label: 'h2ap', ipv6: true });
    const n0 = lab.nodes[0]!;
    await n0.check(['ip', 'addr', 'add', '10.78.0.1/24', 'dev', n0.publicIface]);
    await n0.check(['ip', 'addr', 'add', 'fd78::1/64', 'dev', n0.publicIface, 'nodad']);
    mac = await macOf(n0, n0.publicIface);
    const cap = n0.spawn([
      'python3',
      resolve(ROOT, 'test/rawnet/fixtures/capture.py'),
      n0.publicIface,
      '60',
    ]);
    await cap.waitForOutput(/ready/);
    await op(n0, 'arp', n0.publicIface, '10.78.0.1');
    await op(n0, 'arp', n0.publicIface, 'fd78::1');
    await op(n0, 'tickle', '10.78.0.254:2222', '10.78.0.1:1111');
    await op(n0, 'tickle', '[fd78::fe]:2222', '[fd78::1]:1111');
    await op(n0, 'segment', '10.78.0.1:1111', '10.78.0.254:2222', '4000000000', '17', 'rst');
    await new Promise((r) => setTimeout(r, 300));
    cap.kill();
    await cap.exited;
    frames = cap
      .output()
      .split('\n')
      .filter((l) => l.startsWith('4 '))
      .map((l) => Buffer.from(l.slice(2), 'hex'));
  });
  after(async () => {
    await lab.destroy();
  });

  const macBytes = (): Buffer => Buffer.from(mac.replace(/:/g, ''), 'hex');

  test('gratuitous ARP: a broadcast request and a reply, sender = target = the address', () => {
    const ip = Buffer.from([10, 78, 0, 1]);
    // Gratuitous: sender IP = target IP (the kernel's own ARP for the client is not).
    const arps = frames.filter(
      (f) =>
        f.readUInt16BE(12) === 0x0806 &&
        f.subarray(28, 32).equals(ip) &&
        f.subarray(38, 42).equals(ip),
    );
    const ops = arps.map((f) => f.readUInt16BE(20));
    assert.deepEqual(ops, [1, 2], `gratuitous ARP ops seen: ${ops.join(',')}`);
    for (const f of arps) {
      assert.ok(f.subarray(0, 6).equals(Buffer.alloc(6, 0xff)), 'broadcast');
      assert.ok(f.subarray(6, 12).equals(macBytes()), 'source MAC');
      assert.deepEqual([f.readUInt16BE(14), f.readUInt16BE(16), f[18], f[19]], [1, 0x0800, 6, 4]);
      assert.ok(f.subarray(22, 28).equals(macBytes()), 'sender MAC');
      const tha = f.subarray(32, 38);
      assert.ok(f.readUInt16BE(20) === 1 ? tha.equals(Buffer.alloc(6)) : tha.equals(macBytes()));
    }
  });

  test('neighbour advertisement: override, to ff02::1, hop limit 255, valid checksum', () => {
    const na = frames.find(
      (f) => f.readUInt16BE(12) === 0x86dd && f[14 + 6] === 58 && f[14 + 40] === 136,
    );
    assert.ok(na, 'no neighbour advertisement captured');
    assert.ok(na.subarray(0, 6).equals(Buffer.from('333300000001', 'hex')));
    const ip = na.subarray(14);
    assert.equal(ip[7], 255);
    const src = ip.subarray(8, 24);
    const dst = ip.subarray(24, 40);
    assert.equal(dst.toString('hex'), 'ff020000000000000000000000000001');
    const body = ip.subarray(40, 40 + ip.readUInt16BE(4));
    assert.equal(body[4], 0x20, 'flags: override only');
    assert.ok(body.subarray(8, 24).equals(src), 'target = the address');
    assert.deepEqual([body[24], body[25]], [2, 1]);
    assert.ok(body.subarray(26, 32).equals(macBytes()), 'target link-layer address');
    assert.equal(onesSum(pseudo(src, dst, 58, body.length), body), 0xffff, 'ICMPv6 checksum');
  });

  function tcpFrames(ethertype: number): { src: Buffer; dst: Buffer; seg: Buffer; ttl: number }[] {
    return frames
      .filter((f) => f.readUInt16BE(12) === ethertype)
      .map((f) => f.subarray(14))
      .flatMap((ip) => {
        if (ethertype === 0x0800 && ip[9] === 6) {
          const ihl = ((ip[0] ?? 0) & 0xf) * 4;
          const len = ip.readUInt16BE(2);
          return [
            {
              src: ip.subarray(12, 16),
              dst: ip.subarray(16, 20),
              seg: ip.subarray(ihl, len),
              ttl: ip[8] ?? 0,
            },
          ];
        }
        if (ethertype === 0x86dd && ip[6] === 6) {
          return [
            {
              src: ip.subarray(8, 24),
              dst: ip.subarray(24, 40),
              seg: ip.subarray(40, 40 + ip.readUInt16BE(4)),
              ttl: ip[7] ?? 0,
            },
          ];
        }
        return [];
      });
  }

  for (const [family, ethertype] of [
    ['IPv4', 0x0800],
    ['IPv6', 0x86dd],
  ] as const) {
    test(`${family} tickle ACK: from DST to SRC, seq 0, ack 0, window 1234, valid checksum`, () => {
      const seg = tcpFrames(ethertype).find(
        (t) => t.seg.readUInt16BE(0) === 1111 && (t.seg[13] ?? 0) === 0x10,
      );
      assert.ok(seg, `no ${family} tickle captured`);
      assert.equal(seg.seg.readUInt16BE(2), 2222);
      assert.equal(seg.seg.readUInt32BE(4), 0);
      assert.equal(seg.seg.readUInt32BE(8), 0);
      assert.equal(seg.seg.readUInt16BE(14), 1234);
      assert.equal(seg.seg.length, 20);
      assert.equal(seg.ttl, family === 'IPv4' ? 255 : 64);
      assert.equal(onesSum(pseudo(seg.src, seg.dst, 6, seg.seg.length), seg.seg), 0xffff);
    });
  }

  test('RST with the given sequence numbers', () => {
    const rst = tcpFrames(0x0800).find((t) => ((t.seg[13] ?? 0) & 0x04) !== 0);
    assert.ok(rst, 'no RST captured');
    assert.equal(rst.seg[13], 0x14);
    assert.equal(rst.seg.readUInt32BE(4), 4000000000);
    assert.equal(rst.seg.readUInt32BE(8), 17);
    assert.equal(onesSum(pseudo(rst.src, rst.dst, 6, 20), rst.seg), 0xffff);
  });
});

describe('addon argument checks', () => {
  const einval = (e: unknown): boolean => e instanceof RawNetError && e.code === 'EINVAL';
  test('bad arguments are EINVAL before any socket is opened', () => {
    const a4 = Buffer.from([10, 0, 0, 1]);
    assert.throws(() => rawnet.sendTcp(a4, 70000, a4, 1, 0, 0, false), einval);
    assert.throws(() => rawnet.sendTcp(a4, 1, Buffer.alloc(16), 1, 0, 0, false), einval);
    assert.throws(() => rawnet.sendTcp(a4, 1, a4, 1, -1, 0, false), einval);
    assert.throws(() => rawnet.sendTcp(a4, 1, a4, 1, 1.5, 0, false), einval);
    assert.throws(() => rawnet.sendTcp(Buffer.alloc(5), 1, a4, 1, 0, 0, false), einval);
    assert.throws(() => rawnet.sendArp('x'.repeat(16), a4, false), einval);
    assert.throws(() => rawnet.sendArp('', a4, false), einval);
    assert.throws(() => rawnet.sendArp('eth0', Buffer.alloc(16), false), einval);
    assert.throws(() => rawnet.sendNeighbourAdvert('eth0', a4), einval);
    const loose = rawnet.sendTcp as unknown as (...args: unknown[]) => void;
    assert.throws(() => {
      loose(a4, 1, a4, 1, 0, 0);
    }, einval);
    assert.throws(() => {
      loose('10.0.0.1', 1, a4, 1, 0, 0, false);
    }, einval);
  });
  test('a capture descriptor cannot be closed or read twice while a read is pending', async () => {
    // Opening a capture only listens; nothing is sent.
    const fd = rawnet.captureOpen();
    const ebusy = (e: unknown): boolean => e instanceof RawNetError && e.code === 'EBUSY';
    const pending = rawnet.captureRead(fd, 50, 1);
    assert.throws(() => {
      void rawnet.captureClose(fd);
    }, ebusy);
    await assert.rejects(rawnet.captureRead(fd, 0, 1), ebusy);
    assert.ok(Array.isArray(await pending));
    await rawnet.captureClose(fd);
    assert.throws(
      () => {
        void rawnet.captureClose(fd);
      },
      (e: unknown) => e instanceof RawNetError && e.code === 'EBADF',
    );
  });
  test('only descriptors from captureOpen are read or closed', async () => {
    assert.throws(
      () => {
        void rawnet.captureClose(0);
      },
      (e: unknown) => e instanceof RawNetError && e.code === 'EBADF',
    );
    await assert.rejects(
      rawnet.captureRead(1, 0, 1),
      (e: unknown) => e instanceof RawNetError && e.code === 'EBADF',
    );
  });
});

const REAL = '/usr/libexec/ctdb/ctdb_killtcp';

describe(
  'tools/ctdb_killtcp messages and exit codes match CTDB',
  {
    skip: existsSync(REAL) ? false : `${REAL} not installed`,
  },
  () => {
    // Only inputs that are refused or empty: nothing is sent.
    const cases: { name: string; args: string[]; input?: string }[] = [
      { name: 'no arguments', args: [] },
      { name: 'two arguments', args: ['lo', '10.0.0.1:1'] },
      { name: 'a bad IP:port argument', args: ['lo', '10.0.0.1', '10.0.0.2:2'] },
      { name: 'a malformed stdin line', args: ['lo'], input: '10.0.0.1:1 garbage\n' },
      { name: 'mixed families', args: ['lo'], input: '10.0.0.1:1 [fd00::1]:2\n' },
      { name: 'empty input', args: ['lo'], input: '\n# nothing\n' },
    ];
    for (const c of cases) {
      test(c.name, () => {
        const real = spawnSync(REAL, c.args, { input: c.input ?? '', encoding: 'utf8' });
        const ours = spawnSync(process.execPath, ['--import', 'tsx', KILLTCP, ...c.args], {
          input: c.input ?? '',
          encoding: 'utf8',
          cwd: ROOT,
        });
        assert.equal(ours.status, real.status);
        assert.equal(ours.stdout.replace(KILLTCP, 'PROG'), real.stdout.replace(REAL, 'PROG'));
        assert.equal(ours.stderr, real.stderr);
      });
    }

    test(
      'unreachable pairs: the same 50 rounds of failure lines, exit 0',
      { skip: process.getuid?.() === 0 ? false : 'unshare -n needs root' },
      async () => {
        // `unshare -n` runs each in a fresh, empty network namespace: nothing can be sent.
        const run = (argv: string[]): Promise<{ code: number | null; stderr: string }> =>
          new Promise((done) => {
            const child = spawn('unshare', ['-n', ...argv], { cwd: ROOT });
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
            child.on('close', (code) => {
              done({ code, stderr });
            });
            child.stdin.end('10.1.2.3:5 10.4.5.6:9\n');
          });
        const [real, ours] = await Promise.all([
          run([REAL, 'eth9']),
          run([process.execPath, '--import', 'tsx', KILLTCP, 'eth9']),
        ]);
        assert.equal(ours.code, real.code);
        assert.equal(ours.stderr, real.stderr);
        assert.equal(
          ours.stderr.split('\n').filter((l) => l.startsWith('Failed sendto')).length,
          50,
        );
      },
    );

    test(
      'without CAP_NET_RAW: the same messages and exit code 255',
      { skip: process.getuid?.() === 0 ? false : 'setpriv to another user needs root' },
      async () => {
        const drop = ['-n', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
        const run = (argv: string[]): Promise<{ code: number | null; stderr: string }> =>
          new Promise((done) => {
            const child = spawn('unshare', [...drop, '--inh-caps=-all', ...argv], { cwd: ROOT });
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
            child.on('close', (code) => {
              done({ code, stderr });
            });
            child.stdin.end('10.1.2.3:5 10.4.5.6:9\n');
          });
        const [real, ours] = await Promise.all([
          run([REAL, 'eth9']),
          run([process.execPath, '--import', 'tsx', KILLTCP, 'eth9']),
        ]);
        assert.equal(real.code, 255);
        assert.equal(ours.code, real.code);
        assert.equal(ours.stderr, real.stderr);
      },
    );
  },
);
