// The ctdbd client against a scripted daemon on a real Unix socket: replies matched by reqid
// even out of order, deadlines, messages to registered srvids, a daemon that sends garbage or
// disappears — each gives a typed result and never crashes the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Control,
  DestNode,
  FrameParser,
  Operation,
  Srvid,
  decodePacket,
  encodeReplyControl,
  encodeReqMessage,
  nodeMapPayload,
  sockAddr,
  u32Payload,
  type ReqControl,
} from '../../runtime/protocol/index.js';
import {
  ConnectError,
  ControlStatusError,
  ControlTransportError,
  CtdbClient,
  ctdbdSocketPath,
} from '../../runtime/client/index.js';

type Responder = (req: ReqControl, sock: Socket) => void;

const reply = (req: ReqControl, status: number, data?: Uint8Array, err?: string): Uint8Array =>
  encodeReplyControl({
    destnode: req.header.srcnode,
    srcnode: 0,
    reqid: req.header.reqid,
    status,
    ...(data === undefined ? {} : { data }),
    ...(err === undefined ? {} : { errorMessage: err }),
  });

describe('CtdbClient', () => {
  let dir: string;
  let server: Server;
  let path: string;
  let respond: Responder;
  const seen: ReqControl[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctdb-client-'));
    path = join(dir, 'ctdbd.socket');
    server = createServer((sock) => {
      const parser = new FrameParser({
        onFrame: (f) => {
          const p = decodePacket(f);
          if (p.operation !== Operation.REQ_CONTROL) return;
          seen.push(p);
          if (p.opcode === Control.GET_PNN) sock.write(reply(p, 2));
          else if (p.opcode === Control.REGISTER_SRVID) sock.write(reply(p, 0));
          else respond(p, sock);
        },
        onError: () => sock.destroy(),
      });
      sock.on('data', (d) => parser.push(d));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(path, r));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('connect learns the PNN with GET_PNN to CURRENT_NODE', async () => {
    respond = () => undefined;
    const c = await CtdbClient.connect(path);
    assert.equal(c.pnn, 2);
    const first = seen.find((p) => p.opcode === Control.GET_PNN)!;
    assert.equal(first.header.destnode, DestNode.CURRENT_NODE);
    c.close();
  });

  test('replies are matched by reqid even out of order; payloads decode', async () => {
    const held: ReqControl[] = [];
    respond = (req, sock) => {
      held.push(req);
      if (held.length === 2) {
        // answer the second first
        sock.write(reply(held[1]!, 0, u32Payload.encode(0x30003)));
        sock.write(
          reply(
            held[0]!,
            0,
            nodeMapPayload.encode({
              nodes: [{ pnn: 0, flags: 0, addr: sockAddr('10.0.0.1', 4379) }],
            }),
          ),
        );
      }
    };
    const c = await CtdbClient.connect(path);
    const [map, caps] = await Promise.all([c.getNodemap(0), c.getCapabilities(0)]);
    assert.equal(map.nodes[0]!.addr.address, '10.0.0.1');
    assert.equal(caps, 0x30003);
    c.close();
  });

  test('status-valued controls and failures', async () => {
    respond = (req, sock) => {
      if (req.opcode === Control.GET_PID) sock.write(reply(req, 4242));
      else sock.write(reply(req, -1, undefined, 'Unknown control'));
    };
    const c = await CtdbClient.connect(path);
    assert.equal(await c.getPid(0), 4242);
    const err = await c.getDebug(0).catch((e: unknown) => e);
    assert.ok(err instanceof ControlStatusError);
    assert.equal(err.message, 'Control GET_DEBUG failed, ret=-1');
    assert.equal(err.errorMessage, 'Unknown control');
    c.close();
  });

  test('a control without a reply times out with ETIMEDOUT (110) and CTDB wording', async () => {
    respond = () => undefined;
    const c = await CtdbClient.connect(path, { timeoutMs: 100 });
    const err = await c.getPid(1).catch((e: unknown) => e);
    assert.ok(err instanceof ControlTransportError);
    assert.equal(err.errno, 110);
    assert.equal(err.message, 'Control GET_PID failed to node 1, ret=110');
    c.close();
  });

  test('messages reach the handler registered for their srvid', async () => {
    let sockRef: Socket | undefined;
    respond = (_req, sock) => {
      sockRef = sock;
    };
    const c = await CtdbClient.connect(path);
    const got: number[] = [];
    await c.setMessageHandler(Srvid.LEADER, (d) => got.push(u32Payload.decode(d)));
    const reg = seen.filter((p) => p.opcode === Control.REGISTER_SRVID).at(-1)!;
    assert.equal(reg.srvid, Srvid.LEADER);
    // provoke a connection reference for the server side
    void c.raw(Control.PING, 0, undefined, { timeoutMs: 50 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    sockRef!.write(
      encodeReqMessage({ destnode: 2, reqid: 0, srvid: Srvid.LEADER, data: u32Payload.encode(1) }),
    );
    sockRef!.write(
      encodeReqMessage({ destnode: 2, reqid: 0, srvid: Srvid.BANNING, data: u32Payload.encode(9) }),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got, [1]);
    c.close();
  });

  test('garbage from the daemon is reported and dropped; a vanished daemon fails pending calls', async () => {
    const problems: string[] = [];
    respond = (req, sock) => {
      const junk = Buffer.alloc(40);
      junk.writeUInt32LE(40, 0); // a length, but no CTDB magic
      sock.write(junk);
      sock.write(reply(req, 7));
      setTimeout(() => sock.destroy(), 20);
    };
    const c = await CtdbClient.connect(path, { onProtocolError: (e) => problems.push(e.code) });
    assert.equal(await c.ping(0), 7);
    assert.deepEqual(problems, ['bad-magic']);
    respond = () => undefined;
    const err = await c.getPid(0).catch((e: unknown) => e);
    assert.ok(err instanceof ControlTransportError);
    assert.equal(err.errno, 107);
  });

  test('connect failure is a ConnectError with the errno', async () => {
    const err = await CtdbClient.connect(join(dir, 'missing.socket')).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError);
    assert.equal(err.errno, 2);
    assert.equal(err.message, 'connect() failed, errno=2');
  });

  test('socket path rules', () => {
    assert.equal(ctdbdSocketPath({ CTDB_SOCKET: '/x/y' }), '/x/y');
    assert.equal(
      ctdbdSocketPath({ CTDB_TEST_MODE: 'yes', CTDB_BASE: '/b' }),
      '/b/run/ctdbd.socket',
    );
    assert.equal(ctdbdSocketPath({ CTDB_BASE: '/b' }), '/run/ctdb/ctdbd.socket');
  });
});
