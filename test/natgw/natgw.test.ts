// 11.natgw across three node namespaces: the NAT gateway leader holds CTDB_NATGW_PUBLIC_IP and
// masquerades the private network; followers without a public address reach the client through
// it (metric-10 routes via the leader's private address). When the leader fails, another node
// becomes the gateway after the next ipreallocated and the followers' traffic flows again.
// Node states come from a fake `ctdb` (see support/fake-cluster.ts); the leader is chosen by the
// real ctdb_natgw helper, and addresses, routes and iptables are real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { FakeCluster, pings, type FakeNode } from './support/fake-cluster.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

const NATGW_IP = '10.78.0.100';
const CLIENT = '10.78.0.254';
const FAR = '192.168.99.1'; // behind the client, reached with a per-route gateway

describe('11.natgw on a namespace cluster', { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;
  let n0: FakeNode, n1: FakeNode, n2: FakeNode;

  function options(extra = ''): string {
    return [
      `CTDB_NATGW_NODES=${cluster.dir}/natgw_nodes`,
      `CTDB_NATGW_PUBLIC_IP=${NATGW_IP}/24`,
      'CTDB_NATGW_PUBLIC_IFACE=eth1',
      'CTDB_NATGW_PRIVATE_NETWORK=10.77.0.0/24',
      extra,
      '',
    ].join('\n');
  }

  const ipreallocatedAll = async (nodes: FakeNode[]): Promise<void> => {
    for (const r of await cluster.runOn(nodes, '11.natgw', 'ipreallocated'))
      assert.equal(r.status, 0, r.output);
  };

  before(async () => {
    lab = await NetLab.create({ nodes: 3, label: 'h8natgw' });
    cluster = new FakeCluster(lab, 'natgw');
    [n0, n1, n2] = cluster.nodes as [FakeNode, FakeNode, FakeNode];
    cluster.writeShared('natgw_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
    cluster.writeAll('events/legacy/11.natgw.options', options());
    cluster.writeAll('public_addresses', '10.78.0.10/24 eth1\n');
    const client = lab.client!;
    await client.check(['ip', 'addr', 'add', `${FAR}/32`, 'dev', 'lo']);
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
  });

  test('without CTDB_NATGW_NODES the script does nothing', async () => {
    n2.write('events/legacy/11.natgw.options', 'CTDB_NATGW_NODES=\n');
    const r = await n2.run('11.natgw', 'ipreallocated');
    assert.equal(r.status, 0);
    assert.equal(r.output, '');
    n2.write('events/legacy/11.natgw.options', options());
  });

  test('missing settings fail with CTDB messages', async () => {
    n2.write(
      'events/legacy/11.natgw.options',
      options().replace(/^CTDB_NATGW_PUBLIC_IFACE=.*$/m, ''),
    );
    let r = await n2.run('11.natgw', 'monitor');
    assert.equal(r.status, 1);
    assert.match(r.output, /Invalid configuration: CTDB_NATGW_PUBLIC_IFACE not set/);
    n2.write(
      'events/legacy/11.natgw.options',
      options().replace(/NODES=.*$/m, 'NODES=/nonexistent'),
    );
    r = await n2.run('11.natgw', 'setup');
    assert.equal(r.status, 1);
    assert.match(r.output, /error: CTDB_NATGW_NODES=\/nonexistent unreadable/);
    n2.write('events/legacy/11.natgw.options', options());
  });

  test('startup refuses a NAT gateway address that is also a public address', async () => {
    n2.write('public_addresses', `${NATGW_IP}/24 eth1\n`);
    const r = await n2.run('11.natgw', 'startup');
    assert.equal(r.status, 1);
    assert.match(r.output, /ERROR: CTDB_NATGW_PUBLIC_IP same as a public address/);
    n2.write('public_addresses', '10.78.0.10/24 eth1\n');
    for (const r2 of await cluster.runOn(cluster.nodes, '11.natgw', 'startup'))
      assert.equal(r2.status, 0, r2.output);
    assert.equal(
      (await n0.host.check(['cat', '/proc/sys/net/ipv4/conf/all/arp_announce'])).trim(),
      '2',
    );
  });

  test('the leader holds the address and masquerades; followers reach the client through it', async () => {
    await ipreallocatedAll(cluster.nodes);

    const addrs = await n0.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']);
    assert.match(addrs, new RegExp(`${NATGW_IP}/24`));
    const nat = await n0.host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']);
    assert.match(nat, /-s 10\.77\.0\.0\/24 ! -d 10\.77\.0\.0\/24 -j MASQUERADE/);
    const input = await n0.host.check(['iptables', '-S', 'INPUT']);
    assert.match(
      input,
      new RegExp(`-d ${NATGW_IP}/32 -p tcp .*--tcp-flags FIN,SYN,RST,ACK SYN -j REJECT`),
    );
    assert.equal((await n0.host.check(['cat', '/proc/sys/net/ipv4/ip_forward'])).trim(), '1');

    for (const f of [n1, n2]) {
      const routes = await f.host.check(['ip', 'route', 'show', 'default']);
      assert.match(routes, /default via 10\.77\.0\.1 dev eth0 metric 10/);
      assert.doesNotMatch(await f.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']), /inet /);
      assert.ok(await pings(f.host, CLIENT), `${f.host.name} cannot reach the client`);
    }
    // Running again with nothing changed leaves everything as it is.
    await ipreallocatedAll(cluster.nodes);
    assert.ok(await pings(n2.host, CLIENT));
  });

  test('the leader dies: another node becomes the gateway and traffic flows again', async () => {
    // Node 0 drops off both networks and the cluster sees it disconnected.
    await lab.setLink(n0.host, 'private', false);
    await lab.setLink(n0.host, 'public', false);
    cluster.setStates(['disconnected', 'ok', 'ok']);
    assert.equal(await pings(n2.host, CLIENT), false, 'traffic still flows through a dead leader');

    await ipreallocatedAll([n1, n2]);
    assert.match(
      await n1.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']),
      new RegExp(NATGW_IP),
    );
    const routes = await n2.host.check(['ip', 'route', 'show', 'default']);
    assert.match(routes, /default via 10\.77\.0\.2 dev eth0 metric 10/);
    assert.doesNotMatch(routes, /10\.77\.0\.1/);
    assert.ok(await pings(n2.host, CLIENT), 'node2 cannot reach the client via the new leader');

    // Node 0 comes back: it is preferred again (lowest PNN), and it must give up nothing stale.
    await lab.setLink(n0.host, 'private', true);
    await lab.setLink(n0.host, 'public', true);
    cluster.setStates(['ok', 'ok', 'ok']);
    await ipreallocatedAll(cluster.nodes);
    // The client still maps the gateway address to node 1's MAC; 11.natgw sends no gratuitous
    // ARP (neither does CTDB's), so forget it rather than wait for the neighbour entry to age.
    await lab.client!.check(['ip', 'neigh', 'flush', 'dev', 'eth0']);
    assert.doesNotMatch(await n1.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']), /inet /);
    assert.doesNotMatch(
      await n1.host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']),
      /MASQUERADE/,
    );
    assert.ok(await pings(n1.host, CLIENT), 'node1 cannot reach the client via node 0');
  });

  test('CTDB_NATGW_STATIC_ROUTES replaces the default route, with per-route gateways', async () => {
    cluster.writeAll(
      'events/legacy/11.natgw.options',
      options(`CTDB_NATGW_STATIC_ROUTES="10.78.0.0/24 192.168.99.0/24@${CLIENT}"`),
    );
    const results = await cluster.runOn(cluster.nodes, '11.natgw', 'ipreallocated');
    for (const r of results) {
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /NAT gateway configuration has changed/);
    }
    // The leader routes the far network through the per-route gateway; nothing for 10.78.0.0/24
    // (no default gateway configured, and it is directly connected there).
    const leaderRoutes = await n0.host.check(['ip', 'route', 'show']);
    assert.match(leaderRoutes, /192\.168\.99\.0\/24 via 10\.78\.0\.254 dev eth1 metric 10/);
    const followerRoutes = await n2.host.check(['ip', 'route', 'show']);
    assert.doesNotMatch(followerRoutes, /^default/m);
    assert.match(followerRoutes, /10\.78\.0\.0\/24 via 10\.77\.0\.1 dev eth0 metric 10/);
    assert.match(followerRoutes, /192\.168\.99\.0\/24 via 10\.77\.0\.1 dev eth0 metric 10/);
    assert.ok(await pings(n2.host, CLIENT));
    assert.ok(await pings(n2.host, FAR), 'node2 cannot reach the network behind the client');
  });

  test('no usable node: ipreallocated fails with "There is no NATGW leader node"', async () => {
    cluster.setStates(['disabled', 'disabled', 'disabled']);
    const r = await n1.run('11.natgw', 'ipreallocated');
    assert.equal(r.status, 1);
    assert.match(r.output, /There is no NATGW leader node/);
    cluster.setStates(['ok', 'ok', 'ok']);
  });

  test('removenatgw clears the gateway; updatenatgw applies it again', async () => {
    let r = await n0.run('11.natgw', 'removenatgw');
    assert.equal(r.status, 0, r.output);
    assert.doesNotMatch(
      await n0.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']),
      new RegExp(NATGW_IP),
    );
    assert.doesNotMatch(
      await n0.host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']),
      /MASQUERADE/,
    );
    assert.doesNotMatch(await n0.host.check(['iptables', '-S', 'INPUT']), /REJECT/);
    assert.doesNotMatch(await n0.host.check(['ip', 'route', 'show']), /metric 10/);
    r = await n0.run('11.natgw', 'updatenatgw');
    assert.equal(r.status, 0, r.output);
    assert.match(
      await n0.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']),
      new RegExp(NATGW_IP),
    );
    assert.ok(await pings(n2.host, CLIENT));
  });

  test('shutdown on a follower removes its gateway routes', async () => {
    const r = await n2.run('11.natgw', 'shutdown');
    assert.equal(r.status, 0, r.output);
    assert.doesNotMatch(await n2.host.check(['ip', 'route', 'show']), /metric 10/);
  });

  test('monitor checks the public interface', async () => {
    let r = await n1.run('11.natgw', 'monitor');
    assert.equal(r.status, 0, r.output);
    n1.write('events/legacy/11.natgw.options', options().replace('IFACE=eth1', 'IFACE=eth9'));
    r = await n1.run('11.natgw', 'monitor');
    assert.equal(r.status, 1);
    assert.match(r.output, /ERROR: Monitored interface eth9 does not exist/);
  });
});
