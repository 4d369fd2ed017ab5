// The stream parser: packets split across reads at every possible byte, several packets in one
// read, unpadded lengths, and garbage that must be reported (for a log line) and dropped — or
// close the stream when it cannot be resynchronised — without ever throwing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Control,
  DestNode,
  FrameParser,
  FrameState,
  FramingError,
  ProtocolError,
  decodePacket,
  encodeReqControl,
  encodeReqMessage,
  Srvid,
} from '../../runtime/protocol/index.js';

function collect(maxLength?: number): {
  parser: FrameParser;
  frames: Uint8Array[];
  errors: ProtocolError[];
} {
  const frames: Uint8Array[] = [];
  const errors: ProtocolError[] = [];
  const parser = new FrameParser(
    { onFrame: (f) => frames.push(Uint8Array.from(f)), onError: (e) => errors.push(e) },
    maxLength === undefined ? {} : { maxLength },
  );
  return { parser, frames, errors };
}

const a = encodeReqControl({ destnode: DestNode.CURRENT_NODE, reqid: 1, opcode: Control.GET_PNN });
const b = encodeReqMessage({
  destnode: 0,
  reqid: 2,
  srvid: Srvid.LEADER,
  data: Uint8Array.of(1, 0, 0, 0),
});
const c = encodeReqControl({
  destnode: 1,
  reqid: 3,
  opcode: Control.SET_TUNABLE,
  data: new Uint8Array(1000).fill(7),
});
const stream = Buffer.concat([a, b, c]);

describe('FrameParser', () => {
  test('packets are padded to 8 with the padded length written', () => {
    for (const p of [a, b, c]) {
      assert.equal(p.byteLength % 8, 0);
      assert.equal(new DataView(p.buffer, p.byteOffset).getUint32(0, true), p.byteLength);
    }
  });

  test('three packets in one read', () => {
    const { parser, frames, errors } = collect();
    parser.push(stream);
    assert.equal(errors.length, 0);
    assert.deepEqual(
      frames.map((f) => decodePacket(f).header.reqid),
      [1, 2, 3],
    );
    assert.equal(parser.currentState, FrameState.AWAIT_LENGTH);
  });

  test('split at every byte boundary, and byte by byte', () => {
    for (let cut = 1; cut < stream.length; cut += 1) {
      const { parser, frames, errors } = collect();
      parser.push(stream.subarray(0, cut));
      parser.push(stream.subarray(cut));
      assert.equal(errors.length, 0);
      assert.deepEqual(
        frames.map((f) => Buffer.from(f).toString('hex')),
        [a, b, c].map((p) => Buffer.from(p).toString('hex')),
        `cut at ${cut}`,
      );
    }
    const { parser, frames } = collect();
    for (const byte of stream) parser.push(Uint8Array.of(byte));
    assert.equal(frames.length, 3);
    assert.equal(parser.buffered, 0);
  });

  test('an unpadded packet (Unix socket style) is framed by its exact length', () => {
    const unpadded = encodeReqMessage(
      { destnode: 0, reqid: 9, srvid: 5n, data: Uint8Array.of(1, 2, 3) },
      { align: 1 },
    );
    assert.equal(unpadded.byteLength, 32 + 12 + 3);
    const { parser, frames } = collect();
    parser.push(Buffer.concat([unpadded, a]));
    assert.equal(frames.length, 2);
    const m = decodePacket(frames[0]!);
    assert.equal(m.header.reqid, 9);
  });

  test('a length below the header size drops that packet, logs, and continues', () => {
    const junk = Buffer.alloc(12);
    junk.writeUInt32LE(12, 0);
    const { parser, frames, errors } = collect();
    parser.push(Buffer.concat([junk, a]));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof ProtocolError);
    assert.ok(!(errors[0] instanceof FramingError));
    assert.match(errors[0].message, /shorter than the 32-byte header/);
    assert.equal(frames.length, 1);
  });

  test('a zero length closes the stream with a FramingError', () => {
    const { parser, frames, errors } = collect();
    parser.push(Buffer.concat([a, Buffer.alloc(8), b]));
    assert.equal(frames.length, 1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof FramingError);
    assert.equal(parser.currentState, FrameState.CLOSED);
    parser.push(b); // ignored once closed
    assert.equal(frames.length, 1);
  });

  test('an oversized length closes the stream instead of buffering it', () => {
    const { parser, errors } = collect(4096);
    const big = Buffer.alloc(8);
    big.writeUInt32LE(1 << 30, 0);
    parser.push(big);
    assert.ok(errors[0] instanceof FramingError);
    assert.match(errors[0].message, /exceeds the limit/);
    assert.equal(parser.currentState, FrameState.CLOSED);
  });

  test('random garbage never throws from the parser or the decoder', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const { parser, frames, errors } = collect(1 << 16);
      const garbage = Buffer.alloc(rand() % 400);
      for (let i = 0; i < garbage.length; i++) garbage[i] = rand() & 0xff;
      // Half the rounds: a valid-looking small length so frames reach the decoder.
      if (round % 2 === 0 && garbage.length >= 4) garbage.writeUInt32LE(32 + (rand() % 64), 0);
      assert.doesNotThrow(() => parser.push(garbage));
      for (const f of frames) {
        try {
          decodePacket(f);
        } catch (err) {
          assert.ok(err instanceof ProtocolError, `decoder threw ${String(err)}`);
        }
      }
      for (const e of errors) assert.ok(e instanceof ProtocolError);
    }
  });
});
