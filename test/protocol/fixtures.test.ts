// Decodes every packet captured from Debian's ctdb/ctdbd (test/fixtures/protocol) and encodes
// it again: our codecs must reproduce the real bytes exactly, padding included.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Control,
  ControlFlag,
  DestNode,
  Operation,
  Srvid,
  UNKNOWN_PNN,
  decodePacket,
  encodeReplyControl,
  encodeReqControl,
  encodeReqKeepalive,
  encodeReqMessage,
  nodeMapPayload,
  stringnPayload,
  tunableListPayload,
  tunablePayload,
  u32Payload,
  uptimePayload,
  varListPayload,
  vnnMapPayload,
  type Packet,
} from '../../runtime/protocol/index.js';

const dir = join(import.meta.dirname, '../fixtures/protocol');

interface ClientCapture {
  command: string;
  requests: string[];
  replies: string[];
  stdout: string;
  stderr: string;
}

function load(name: string): ClientCapture {
  return JSON.parse(readFileSync(join(dir, 'client', name), 'utf8')) as ClientCapture;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function reencode(p: Packet): Uint8Array {
  const h = p.header;
  const base = {
    generation: h.generation,
    destnode: h.destnode,
    srcnode: h.srcnode,
    reqid: h.reqid,
  };
  switch (p.operation) {
    case Operation.REQ_CONTROL:
      return encodeReqControl({
        ...base,
        opcode: p.opcode,
        srvid: p.srvid,
        clientId: p.clientId,
        flags: p.flags,
        data: p.data,
      });
    case Operation.REPLY_CONTROL:
      return encodeReplyControl({
        ...base,
        status: p.status,
        data: p.data,
        errorMessage: p.errorMessage,
      });
    case Operation.REQ_MESSAGE:
      return encodeReqMessage({ ...base, srvid: p.srvid, data: p.data });
    case Operation.REQ_KEEPALIVE:
      return encodeReqKeepalive({ ...base, version: p.version ?? 0, uptime: p.uptime ?? 0 });
    default:
      throw new Error(`no encoder for operation ${p.operation}`);
  }
}

describe('captured client exchanges', () => {
  for (const file of readdirSync(join(dir, 'client')).sort()) {
    test(`${file}: every packet decodes and re-encodes byte for byte`, () => {
      const cap = load(file);
      assert.ok(cap.requests.length > 0 && cap.replies.length > 0);
      for (const h of [...cap.requests, ...cap.replies]) {
        const bytes = Buffer.from(h, 'hex');
        const p = decodePacket(bytes);
        assert.equal(p.header.length, bytes.length);
        assert.equal(p.header.length % 8, 0, 'CTDB pads packets to 8 bytes');
        assert.equal(hex(reencode(p)), h);
      }
    });
  }

  test('the tool starts with GET_PNN to CURRENT_NODE from UNKNOWN_PNN, then registers LEADER', () => {
    const cap = load('pnn.json');
    const first = decodePacket(Buffer.from(cap.requests[0]!, 'hex'));
    assert.equal(first.operation, Operation.REQ_CONTROL);
    assert.ok(first.operation === Operation.REQ_CONTROL);
    assert.equal(first.opcode, Control.GET_PNN);
    assert.equal(first.header.destnode, DestNode.CURRENT_NODE);
    assert.equal(first.header.srcnode, UNKNOWN_PNN);
    const second = decodePacket(Buffer.from(cap.requests[1]!, 'hex'));
    assert.ok(second.operation === Operation.REQ_CONTROL);
    assert.equal(second.opcode, Control.REGISTER_SRVID);
    assert.equal(second.srvid, Srvid.LEADER);
    const reply = decodePacket(Buffer.from(cap.replies[0]!, 'hex'));
    assert.ok(reply.operation === Operation.REPLY_CONTROL);
    assert.equal(reply.header.reqid, first.header.reqid);
    assert.equal(reply.status, Number(cap.stdout.trim()), 'GET_PNN answers in the status');
  });

  test('status: node map, vnn map and recovery mode payloads', () => {
    const cap = load('status.json');
    const byReqid = new Map(
      cap.replies.map((h) => {
        const p = decodePacket(Buffer.from(h, 'hex'));
        return [p.header.reqid, p] as const;
      }),
    );
    let sawNodemap = false;
    let sawVnnmap = false;
    for (const h of cap.requests) {
      const req = decodePacket(Buffer.from(h, 'hex'));
      if (req.operation !== Operation.REQ_CONTROL) continue;
      const rep = byReqid.get(req.header.reqid);
      assert.ok(rep?.operation === Operation.REPLY_CONTROL);
      if (req.opcode === Control.GET_NODEMAP) {
        const map = nodeMapPayload.decode(rep.data);
        assert.deepEqual(
          map.nodes.map((n) => `${n.pnn} ${n.addr.address} ${n.flags}`),
          ['0 10.77.0.1 0', '1 10.77.0.2 0', '2 10.77.0.3 0'],
        );
        assert.equal(map.nodes[0]!.addr.port, 4379);
        assert.equal(hex(nodeMapPayload.encode(map)), hex(rep.data));
        sawNodemap = true;
      }
      if (req.opcode === Control.GETVNNMAP) {
        const v = vnnMapPayload.decode(rep.data);
        assert.match(cap.stdout, new RegExp(`^Generation:${v.generation}$`, 'm'));
        assert.deepEqual(v.map, [0, 1, 2]);
        assert.equal(hex(vnnMapPayload.encode(v)), hex(rep.data));
        sawVnnmap = true;
      }
      if (req.opcode === Control.GET_RECMODE) assert.equal(rep.status, 0);
    }
    assert.ok(sawNodemap && sawVnnmap);
  });

  test('getvar: LIST_TUNABLES var list and GET_TUNABLE by stringn name', () => {
    const cap = load('getvar_RecoverTimeout.json');
    const reqs = cap.requests.map((h) => decodePacket(Buffer.from(h, 'hex')));
    const reps = cap.replies.map((h) => decodePacket(Buffer.from(h, 'hex')));
    const list = reqs.findIndex(
      (p) => p.operation === Operation.REQ_CONTROL && p.opcode === Control.LIST_TUNABLES,
    );
    const get = reqs.find(
      (p) => p.operation === Operation.REQ_CONTROL && p.opcode === Control.GET_TUNABLE,
    );
    assert.ok(list >= 0 && get?.operation === Operation.REQ_CONTROL);
    const listReply = reps[list];
    assert.ok(listReply?.operation === Operation.REPLY_CONTROL);
    const names = varListPayload.decode(listReply.data);
    assert.equal(names.length, 49, 'LIST_TUNABLES names the tunables that are not obsolete');
    assert.equal(names[0], 'SeqnumInterval');
    assert.equal(stringnPayload.decode(get.data), 'RecoverTimeout');
    assert.equal(hex(stringnPayload.encode('RecoverTimeout')), hex(get.data));
    const value = reps.find((p) => p.header.reqid === get.header.reqid);
    assert.ok(value?.operation === Operation.REPLY_CONTROL);
    assert.equal(u32Payload.decode(value.data), 30);
  });

  test('setvar: SET_TUNABLE carries value then stringn name', () => {
    const cap = load('setvar_VerboseMemoryNames_0.json');
    const set = cap.requests
      .map((h) => decodePacket(Buffer.from(h, 'hex')))
      .find((p) => p.operation === Operation.REQ_CONTROL && p.opcode === Control.SET_TUNABLE);
    assert.ok(set?.operation === Operation.REQ_CONTROL);
    assert.deepEqual(tunablePayload.decode(set.data), { name: 'VerboseMemoryNames', value: 0 });
    assert.equal(
      hex(tunablePayload.encode({ name: 'VerboseMemoryNames', value: 0 })),
      hex(set.data),
    );
  });

  test('uptime: four timevals', () => {
    const cap = load('uptime.json');
    const rep = decodePacket(Buffer.from(cap.replies.at(-1)!, 'hex'));
    assert.ok(rep.operation === Operation.REPLY_CONTROL);
    const u = uptimePayload.decode(rep.data);
    assert.ok(u.currentTime.sec >= u.ctdbdStartTime.sec);
    assert.ok(u.lastRecoveryFinished.sec >= u.lastRecoveryStarted.sec);
    assert.ok(u.currentTime.usec >= 0 && u.currentTime.usec < 1_000_000);
    assert.equal(hex(uptimePayload.encode(u)), hex(rep.data));
  });

  test('leader: the LEADER broadcast reaches the registered client as REQ_MESSAGE', () => {
    const cap = load('leader.json');
    const msg = cap.replies
      .map((h) => decodePacket(Buffer.from(h, 'hex')))
      .find((p) => p.operation === Operation.REQ_MESSAGE);
    assert.ok(msg?.operation === Operation.REQ_MESSAGE);
    assert.equal(msg.srvid, Srvid.LEADER);
    assert.equal(u32Payload.decode(msg.data), Number(cap.stdout.trim()));
  });
});

describe('captured daemon packets', () => {
  const samples = JSON.parse(readFileSync(join(dir, 'daemon-samples.json'), 'utf8')) as {
    stream: string;
    hex: string;
    note: string;
  }[];
  for (const s of samples) {
    test(`${s.note}: decodes and re-encodes`, () => {
      const p = decodePacket(Buffer.from(s.hex, 'hex'));
      assert.equal(hex(reencode(p)), s.hex);
    });
  }

  test('keepalive carries version 4.17 and the uptime', () => {
    const s = samples.find((x) => x.note.startsWith('REQ_KEEPALIVE'));
    assert.ok(s);
    const p = decodePacket(Buffer.from(s.hex, 'hex'));
    assert.ok(p.operation === Operation.REQ_KEEPALIVE);
    assert.equal(p.version, 0x00040011);
    assert.equal(p.header.length, 40);
  });

  test('GET_ALL_TUNABLES reply is the 62-field struct', () => {
    const s = samples.find((x) => x.note.includes('datalen=248'));
    assert.ok(s);
    const p = decodePacket(Buffer.from(s.hex, 'hex'));
    assert.ok(p.operation === Operation.REPLY_CONTROL);
    const t = tunableListPayload.decode(p.data);
    assert.equal(t.MaxRedirectCount, 3);
    assert.equal(t.RecoverTimeout, 30);
    assert.equal(t.DatabaseHashSize, 100001);
    assert.equal(t.AllowMixedVersions, 0);
    assert.equal(t.IPAllocAlgorithm, 2);
    assert.equal(hex(tunableListPayload.encode(t)), hex(p.data));
  });
});

describe('captured shutdown', () => {
  test('SHUTDOWN goes to the target with NOREPLY and is never answered', () => {
    const cap = load('shutdown_n2.json');
    const reqs = cap.requests.map((h) => decodePacket(Buffer.from(h, 'hex')));
    const sd = reqs.find(
      (p) => p.operation === Operation.REQ_CONTROL && p.opcode === Control.SHUTDOWN,
    );
    assert.ok(sd?.operation === Operation.REQ_CONTROL);
    assert.equal(sd.flags & ControlFlag.NOREPLY, ControlFlag.NOREPLY);
    assert.equal(sd.header.destnode, 2);
    const replies = cap.replies.map((h) => decodePacket(Buffer.from(h, 'hex')).header.reqid);
    assert.ok(!replies.includes(sd.header.reqid));
  });
});
