import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cmd,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  PacketFramer,
  ProtocolError,
} from '../../runtime/eventd/protocol.js';

test('a RUN request is laid out as CTDB 4.17 lays it out', () => {
  const pkt = encodeRequest(7, {
    cmd: Cmd.RUN,
    component: 'legacy',
    event: 'monitor',
    args: null,
    timeout: 30,
    flags: 0,
  });
  const expected = Buffer.concat([
    u32(12 + 4 + (4 + 7) + (4 + 8) + 4 + 4 + 4),
    u32(0),
    u32(7),
    u32(1),
    u32(7),
    Buffer.from('legacy\0'),
    u32(8),
    Buffer.from('monitor\0'),
    u32(0),
    u32(30),
    u32(0),
  ]);
  assert.deepEqual(pkt, expected);
  const { header, request } = decodeRequest(pkt);
  assert.equal(header.reqid, 7);
  assert.deepEqual(request, {
    cmd: Cmd.RUN,
    component: 'legacy',
    event: 'monitor',
    args: null,
    timeout: 30,
    flags: 0,
  });
});

test('a STATUS reply round-trips, timevals as 16 bytes', () => {
  const reply = {
    cmd: Cmd.STATUS,
    result: 0,
    status: {
      summary: -110,
      scripts: [
        {
          name: '01.a',
          begin: { sec: 5, usec: 6 },
          end: { sec: 7, usec: 8 },
          result: -110,
          output: 'x\n',
        },
        {
          name: '02.b',
          begin: { sec: 1, usec: 2 },
          end: { sec: 3, usec: 4 },
          result: 0,
          output: null,
        },
      ],
    },
  } as const;
  const pkt = encodeReply(9, reply);
  assert.equal(pkt.readUInt32LE(0), pkt.length);
  // header 12 + cmd 4 + result 4 + summary 4 + count 4, then per script name+2 timevals+i32+output
  assert.equal(pkt.length, 28 + (4 + 5 + 32 + 4 + 4 + 3) + (4 + 5 + 32 + 4 + 4));
  assert.deepEqual(decodeReply(pkt).reply, reply);
});

test('a failed reply carries no body', () => {
  const pkt = encodeReply(1, { cmd: Cmd.STATUS, result: 22 });
  assert.equal(pkt.length, 20);
  assert.deepEqual(decodeReply(pkt).reply, { cmd: Cmd.STATUS, result: 22 });
});

test('malformed packets are ProtocolErrors, never crashes', () => {
  const good = encodeRequest(1, { cmd: Cmd.STATUS, component: 'legacy', event: 'monitor' });
  assert.throws(() => decodeRequest(good.subarray(0, good.length - 3)), ProtocolError);
  const badCmd = Buffer.from(good);
  badCmd.writeUInt32LE(99, 12);
  assert.throws(() => decodeRequest(badCmd), ProtocolError);
  const hugeString = Buffer.from(good);
  hugeString.writeUInt32LE(0xffffff, 16);
  assert.throws(() => decodeRequest(hugeString), ProtocolError);
  assert.throws(() => new PacketFramer().push(u32(3)), ProtocolError);
});

test('the framer reassembles packets split across reads', () => {
  const a = encodeRequest(1, { cmd: Cmd.STATUS, component: 'c', event: 'e' });
  const b = encodeRequest(2, { cmd: Cmd.SCRIPT, component: 'c', script: '01.x', enable: true });
  const all = Buffer.concat([a, b]);
  const f = new PacketFramer();
  const got: Buffer[] = [];
  for (let i = 0; i < all.length; i += 5) got.push(...f.push(all.subarray(i, i + 5)));
  assert.equal(got.length, 2);
  assert.deepEqual(decodeRequest(got[1]!).request, {
    cmd: Cmd.SCRIPT,
    component: 'c',
    script: '01.x',
    enable: true,
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
