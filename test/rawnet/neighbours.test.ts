// Gratuitous ARP and unsolicited neighbour advertisement, in network namespaces: an address
// moves from node0 to node1 and the client's neighbour table must follow it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { eventually, macOf, neighbourMac, op } from './helpers.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

describe('announcing a moved address', { skip }, () => {
  let lab: NetLab;
  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'h2an', ipv6: true });
    // ARP updates arriving within `locktime` of the last one are ignored; the client learnt
    // the old MAC a moment ago in these tests, so let it take the new one at once.
    await lab.client!.check(['sysctl', '-qw', 'net.ipv4.neigh.eth0.locktime=0']);
  });
  after(async () => {
    await lab.destroy();
  });

  for (const [family, ip, prefix, ping] of [
    ['IPv4', '10.78.0.110', 24, ['ping', '-c', '1', '-W', '2']],
    ['IPv6', 'fd78::110', 64, ['ping', '-6', '-c', '1', '-W', '2']],
  ] as const) {
    test(`${family}: the client's neighbour entry moves to the new owner's MAC`, async () => {
      const [n0, n1] = lab.nodes;
      const client = lab.client!;
      const mac0 = await macOf(n0!, n0!.publicIface);
      const mac1 = await macOf(n1!, n1!.publicIface);
      await n0!.check(['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', n0!.publicIface, 'nodad']);
      await client.check([...ping, ip]);
      assert.equal(await neighbourMac(client, ip), mac0);

      await n0!.check(['ip', 'addr', 'del', `${ip}/${prefix}`, 'dev', n0!.publicIface]);
      await n1!.check(['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', n1!.publicIface, 'nodad']);
      // Nothing else tells the client yet.
      assert.equal(await neighbourMac(client, ip), mac0);

      assert.deepEqual(await op(n1!, 'arp', n1!.publicIface, ip), { sent: true });
      assert.ok(
        await eventually(async () => (await neighbourMac(client, ip)) === mac1, 2000),
        `client still has ${String(await neighbourMac(client, ip))} for ${ip}, want ${mac1}`,
      );
      await n1!.check(['ip', 'addr', 'del', `${ip}/${prefix}`, 'dev', n1!.publicIface]);
    });
  }

  test('the announcement schedule sends COUNT rounds INTERVAL apart', async () => {
    const n1 = lab.nodes[1]!;
    const r = (await op(n1, 'announce', n1.publicIface, '10.78.0.111', '3', '300')) as {
      rounds: number;
      elapsedMs: number;
    };
    assert.equal(r.rounds, 3);
    // Two gaps of 300 ms: at least 600 ms, and not much more.
    assert.ok(r.elapsedMs >= 590 && r.elapsedMs < 1500, `took ${r.elapsedMs} ms`);
  });

  test('a loopback interface is skipped; an unknown one is ENODEV', async () => {
    const n1 = lab.nodes[1]!;
    assert.deepEqual(await op(n1, 'arp', 'lo', '127.0.0.1'), { sent: false });
    await assert.rejects(op(n1, 'arp', 'nosuch0', '10.78.0.111'), /ENODEV/);
  });
});
