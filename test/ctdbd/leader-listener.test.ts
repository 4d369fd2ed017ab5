// A local client that registers for LEADER broadcasts is told the leader at once, rather than
// waiting up to a second for the next broadcast (what makes `ctdb status` and `ctdb leader`
// wait). One node in its own namespace; clients on its Unix socket.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DestNode, Operation, Srvid } from '../../runtime/protocol/constants.js';
import { Control } from '../../runtime/protocol/controls.js';
import { FrameParser } from '../../runtime/protocol/framing.js';
import { decodePacket, encodeReqControl } from '../../runtime/protocol/packets.js';
import { u32Payload } from '../../runtime/protocol/payloads.js';
import { socketOf } from '../../tools/local-cluster.js';
import { canCreateNamespaces } from '../support/netlab.js';
import { startSingleNode, type SingleNode } from '../support/single-node.js';

const can = canCreateNamespaces();

/** Registers for LEADER on a new connection: the first leader heard, and after how many ms. */
function firstLeader(
  socketPath: string,
  timeoutMs: number,
): Promise<{ leader: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const t0 = performance.now();
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no LEADER message within ${timeoutMs} ms`));
    }, timeoutMs);
    const parser = new FrameParser({
      onFrame: (frame) => {
        const p = decodePacket(frame);
        if (p.operation !== Operation.REQ_MESSAGE || p.srvid !== Srvid.LEADER) return;
        clearTimeout(timer);
        sock.destroy();
        resolve({ leader: u32Payload.decode(p.data), ms: performance.now() - t0 });
      },
      onError: (err) => reject(err),
    });
    sock.on('data', (c: Buffer) => parser.push(c));
    sock.on('error', reject);
    sock.once('connect', () => {
      sock.write(
        encodeReqControl({
          destnode: DestNode.CURRENT_NODE,
          reqid: 1,
          opcode: Control.REGISTER_SRVID,
          srvid: Srvid.LEADER,
        }),
      );
    });
  });
}

describe('LEADER listeners', { skip: can.ok ? false : can.reason }, () => {
  let node: SingleNode;

  before(async () => {
    node = await startSingleNode('leadl');
  });

  after(async () => {
    await node?.destroy();
  });

  test('a client that registers hears the current leader at once', async () => {
    // The periodic broadcast comes once a second: five registrations all answered within
    // 300 ms would happen by chance with probability 0.3^5 (0.2 %) if nothing answered them.
    for (let i = 0; i < 5; i++) {
      const { leader, ms } = await firstLeader(socketOf(node.base), 5000);
      assert.equal(leader, 0, 'the only node leads');
      assert.ok(ms < 300, `told after ${ms.toFixed(0)} ms`);
    }
  });
});
