// Malformed packets give a typed ProtocolError naming the field, never a RangeError; every
// truncation of a valid packet and of every payload is rejected cleanly.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTROLS,
  Control,
  DestNode,
  ProtocolError,
  Srvid,
  banStatePayload,
  controlLabel,
  decodePacket,
  electionPayload,
  encodeReplyControl,
  encodeReplyError,
  encodeReqControl,
  isImplementedIn417,
  nodeFlagChangePayload,
  nodeMapPayload,
  parseDebugLevel,
  debugLevelName,
  sockAddr,
  srvidMessagePayload,
  disableMessagePayload,
  tunableListPayload,
  TUNABLE_LIST_ORDER,
  uptimePayload,
  varListPayload,
  vnnMapPayload,
  Operation,
  formatIPv6,
  parseIPv6,
} from '../../runtime/protocol/index.js';

function expectProtocolError(fn: () => unknown, code?: string): ProtocolError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    if (code !== undefined) assert.equal(err.code, code);
    return err;
  }
  assert.fail('expected a ProtocolError');
}

describe('packet decoding', () => {
  const pkt = encodeReqControl({
    destnode: DestNode.CURRENT_NODE,
    reqid: 7,
    opcode: Control.SET_TUNABLE,
    data: Uint8Array.of(1, 2, 3, 4, 5),
  });

  test('bad magic, bad version, bad length, unknown operation', () => {
    const m = Buffer.from(pkt);
    m.writeUInt32LE(0x11111111, 4);
    assert.match(expectProtocolError(() => decodePacket(m), 'bad-magic').message, /ctdb_magic/);
    const v = Buffer.from(pkt);
    v.writeUInt32LE(2, 8);
    expectProtocolError(() => decodePacket(v), 'bad-version');
    const l = Buffer.from(pkt);
    l.writeUInt32LE(pkt.byteLength + 8, 0);
    expectProtocolError(() => decodePacket(l), 'bad-length');
    const o = Buffer.from(pkt);
    o.writeUInt32LE(6, 16);
    expectProtocolError(() => decodePacket(o), 'unknown-operation');
  });

  test('a datalen that overruns the packet names the field', () => {
    const d = Buffer.from(pkt);
    d.writeUInt32LE(1000, 32 + 24);
    const err = expectProtocolError(() => decodePacket(d), 'truncated');
    assert.match(err.field, /req_control\.data/);
  });

  test('every truncation of every packet kind is a ProtocolError', () => {
    const packets = [
      pkt,
      encodeReplyControl({ destnode: 0, reqid: 1, status: -1, errorMessage: 'no such thing' }),
      encodeReplyError({ destnode: 0, reqid: 1, status: -1, message: 'oops' }),
    ];
    for (const p of packets) {
      for (let n = 0; n < p.byteLength; n++) {
        const t = Buffer.from(p.subarray(0, n));
        if (n >= 4) t.writeUInt32LE(n, 0);
        try {
          decodePacket(t);
        } catch (err) {
          assert.ok(err instanceof ProtocolError, `length ${n}: ${String(err)}`);
        }
      }
    }
  });

  test('reply with an error string, and REPLY_ERROR', () => {
    const r = decodePacket(
      encodeReplyControl({ destnode: 3, reqid: 9, status: -1, errorMessage: 'Unknown control' }),
    );
    assert.ok(r.operation === Operation.REPLY_CONTROL);
    assert.equal(r.status, -1);
    assert.equal(r.errorMessage, 'Unknown control');
    const e = decodePacket(encodeReplyError({ destnode: 3, reqid: 9, status: -5, message: 'bad' }));
    assert.ok(e.operation === Operation.REPLY_ERROR);
    assert.equal(e.message, 'bad');
  });
});

describe('payload truncation', () => {
  const samples: [string, { decode(b: Uint8Array): unknown }, Uint8Array][] = [
    [
      'node_map',
      nodeMapPayload,
      nodeMapPayload.encode({
        nodes: [
          { pnn: 0, flags: 0, addr: sockAddr('10.0.0.1', 4379) },
          { pnn: 1, flags: 0x39, addr: sockAddr('fd00::1', 4379) },
        ],
      }),
    ],
    ['vnn_map', vnnMapPayload, vnnMapPayload.encode({ generation: 5, map: [0, 1, 2] })],
    ['uptime', uptimePayload, new Uint8Array(64)],
    ['ban_state', banStatePayload, banStatePayload.encode({ pnn: 1, time: 30 })],
    [
      'election',
      electionPayload,
      electionPayload.encode({
        numConnected: 3,
        priorityTime: { sec: 1, usec: 2 },
        pnn: 2,
        nodeFlags: 0,
      }),
    ],
    ['var_list', varListPayload, varListPayload.encode(['A', 'B'])],
  ];
  for (const [name, codec, bytes] of samples) {
    test(`${name}: every shorter prefix fails with ProtocolError`, () => {
      assert.doesNotThrow(() => codec.decode(bytes));
      for (let n = 0; n < bytes.byteLength; n++) {
        if (name === 'var_list' && n === bytes.byteLength) continue;
        try {
          codec.decode(bytes.subarray(0, n));
        } catch (err) {
          assert.ok(err instanceof ProtocolError, `${name} at ${n}: ${String(err)}`);
          continue;
        }
        // A shorter nodemap/vnnmap must not silently decode with its count intact.
        assert.ok(n === 0 && false, `${name} prefix of ${n} bytes decoded`);
      }
    });
  }
});

describe('payload layouts', () => {
  test('election message is 32 bytes with padding before the timeval', () => {
    const b = electionPayload.encode({
      numConnected: 3,
      priorityTime: { sec: 0x01020304, usec: 5 },
      pnn: 2,
      nodeFlags: 0x20,
    });
    assert.equal(b.byteLength, 32);
    assert.equal(Buffer.from(b).readUInt32LE(8), 0x01020304);
    assert.equal(Buffer.from(b).readUInt32LE(24), 2);
    assert.deepEqual(electionPayload.decode(b).priorityTime, { sec: 0x01020304, usec: 5 });
  });

  test('srvid, disable and flag-change messages', () => {
    assert.equal(srvidMessagePayload.encode({ pnn: 1, srvid: Srvid.TAKEOVER_RUN }).byteLength, 16);
    assert.equal(disableMessagePayload.encode({ pnn: 1, srvid: 5n, timeout: 60 }).byteLength, 24);
    const fc = { pnn: 2, newFlags: 4, oldFlags: 0 };
    assert.deepEqual(nodeFlagChangePayload.decode(nodeFlagChangePayload.encode(fc)), fc);
  });

  test('sockaddr: IPv4 and IPv6 in the 28-byte union', () => {
    const map = nodeMapPayload.encode({
      nodes: [{ pnn: 0, flags: 0, addr: sockAddr('fd00::5357:5f01', 4379) }],
    });
    assert.equal(map.byteLength, 4 + 36);
    const b = Buffer.from(map);
    assert.equal(b.readUInt16LE(12), 10, 'AF_INET6 in host order');
    assert.equal(b.readUInt16BE(14), 4379, 'port in network order');
    assert.equal(nodeMapPayload.decode(map).nodes[0]!.addr.address, 'fd00::5357:5f01');
    assert.equal(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
    assert.equal(formatIPv6(parseIPv6('::1')), '::1');
    assert.equal(formatIPv6(parseIPv6('::ffff:10.0.0.1')), '::ffff:10.0.0.1');
  });

  test('GET_ALL_TUNABLES struct order has 62 u32 fields', () => {
    assert.equal(TUNABLE_LIST_ORDER.length, 62);
    const values = Object.fromEntries(TUNABLE_LIST_ORDER.map((n, i) => [n, i])) as Record<
      (typeof TUNABLE_LIST_ORDER)[number],
      number
    >;
    const b = tunableListPayload.encode(values);
    assert.equal(b.byteLength, 248);
    assert.equal(Buffer.from(b).readUInt32LE(4 * 6), 6);
    assert.equal(tunableListPayload.decode(b).RecoverTimeout, 6);
  });
});

describe('control table', () => {
  test('every opcode 0..162 is listed once, in order', () => {
    assert.equal(CONTROLS.length, 163);
    CONTROLS.forEach((c, i) => assert.equal(c.opcode, i));
  });

  test('names and numbers agree with CTDB 4.17', () => {
    assert.equal(Control.GET_PNN, 35);
    assert.equal(Control.GET_NODEMAP, 91);
    assert.equal(Control.SET_RECMASTERROLE, 105);
    assert.equal(Control.DISABLE_NODE, 157);
    assert.equal(Control.ENABLE_NODE, 158);
  });

  test('obsolete, removed, newer and unknown opcodes are not implemented', () => {
    assert.equal(isImplementedIn417(Control.GET_PNN), true);
    assert.equal(isImplementedIn417(Control.GET_NODEMAPv4), false);
    assert.equal(isImplementedIn417(2), false);
    assert.equal(isImplementedIn417(Control.START_IPREALLOCATE), false);
    assert.equal(isImplementedIn417(500), false);
    assert.equal(controlLabel(10), 'obsolete GET_NODEMAPv4');
    assert.equal(controlLabel(2), 'unknown opcode 2');
  });

  test('debug level names as CTDB prints and parses them', () => {
    assert.equal(debugLevelName(3), 'NOTICE');
    assert.equal(debugLevelName(2), 'WARNING');
    assert.equal(debugLevelName(11), 'UNKNOWN');
    assert.equal(parseDebugLevel('info'), 5);
    assert.equal(parseDebugLevel('DEB'), 10);
    assert.equal(parseDebugLevel('7'), 7);
    assert.equal(parseDebugLevel('11'), undefined);
    assert.equal(parseDebugLevel('bogus'), undefined);
  });
});
