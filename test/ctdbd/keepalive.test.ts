// The keepalive rules without sockets: a silent connected peer is declared dead after
// KeepaliveLimit intervals; any packet resets the count; keepalives go to connected peers only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keepalives, type KeepaliveLink } from '../../runtime/transport/keepalive.js';

function harness(connected: Record<number, boolean>) {
  const received = new Map<number, number>();
  const sent: number[] = [];
  const dead: number[] = [];
  const link: KeepaliveLink = {
    takeReceived: (p) => {
      const n = received.get(p) ?? 0;
      received.set(p, 0);
      return n;
    },
    sendKeepalive: (p) => sent.push(p),
    peerDead: (p) => dead.push(p),
  };
  const k = new Keepalives(
    link,
    () => Object.entries(connected).map(([p, c]) => ({ pnn: Number(p), connected: c })),
    () => ({ intervalSeconds: 5, limit: 3 }),
  );
  return { k, received, sent, dead };
}

test('a silent peer is declared dead after KeepaliveLimit rounds', () => {
  const h = harness({ 1: true, 2: false });
  h.k.tick();
  h.k.tick();
  assert.deepEqual(h.dead, []);
  h.k.tick();
  assert.deepEqual(h.dead, [1]);
  // Keepalives only go to the connected peer, one per round.
  assert.deepEqual(h.sent, [1, 1, 1]);
});

test('traffic from the peer resets its count', () => {
  const h = harness({ 1: true });
  h.k.tick();
  h.k.tick();
  h.received.set(1, 4);
  h.k.tick();
  h.k.tick();
  h.k.tick();
  assert.deepEqual(h.dead, []);
  h.k.tick();
  assert.deepEqual(h.dead, [1]);
});
