// 13.per_ip_routing across two node namespaces: each public address gets a policy rule and a
// routing table from the policy-routing file, so replies from it leave by its configured path;
// the tables follow the address from node to node (releaseip, takeip), are repaired and pruned
// on ipreallocated, and are removed at shutdown. The client sits on the public network with a
// "far" network (192.168.50.0/24) behind it that the nodes' main tables know nothing about:
// only a per-address table with a gateway line lets a node answer it.
//
// ctdbd is not run (a cluster cannot be produced on demand here yet): the events are run in
// each namespace in the order ctdbd would send them, and a fake `ctdb` answers `ip -v -X` from
// a table the test sets (support in test/natgw/support/fake-cluster.ts). The address itself is
// put on and taken off the interface by the test, as 10.interface would on takeip/releaseip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { FakeCluster, pings, type FakeNode } from '../natgw/support/fake-cluster.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

const IP_A = '10.78.0.11'; // gateway line + link line
const IP_B = '10.78.0.12'; // link line only
const IP_C = '10.78.0.13'; // auto link-local mode
const FAR_CLIENT = '192.168.50.1';
const PREF = '100';

describe('13.per_ip_routing on a namespace cluster', { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;
  let n0: FakeNode, n1: FakeNode;
  let conf: string;

  const options = (c = conf, extra = ''): string =>
    `CTDB_PER_IP_ROUTING_CONF=${c}\nCTDB_PER_IP_ROUTING_RULE_PREF=${PREF}\n` +
    `CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000\nCTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000\n${extra}`;

  function tableId(node: FakeNode, ip: string): number | undefined {
    const text = readFileSync(join(node.etcDir, 'iproute2/rt_tables'), 'utf8');
    const m = new RegExp(`^(\\d+)\\s+ctdb\\.${ip.replace(/\./g, '\\.')}$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  }

  async function rules(node: FakeNode): Promise<string> {
    return node.host.check(['ip', 'rule', 'show']);
  }

  async function table(node: FakeNode, ip: string): Promise<string> {
    const id = tableId(node, ip);
    if (id === undefined) return '';
    return node.host.check(['ip', 'route', 'show', 'table', String(id)]);
  }

  /** What 10.interface does around 13.per_ip_routing on takeip / releaseip. */
  async function takeip(node: FakeNode, ip: string): Promise<void> {
    await node.host.check(['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth1']);
    const r = await node.run('13.per_ip_routing', 'takeip', 'eth1', ip, '24');
    assert.equal(r.status, 0, r.output);
    // A real takeover ends with gratuitous ARPs (`ctdb gratarp`, faked here): forget stale ones.
    await lab.client!.check(['ip', 'neigh', 'flush', 'dev', 'eth0']);
  }

  async function releaseip(node: FakeNode, ip: string): Promise<void> {
    const r = await node.run('13.per_ip_routing', 'releaseip', 'eth1', ip, '24');
    assert.equal(r.status, 0, r.output);
    await node.host.check(['ip', 'addr', 'del', `${ip}/24`, 'dev', 'eth1']);
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'h8pir' });
    cluster = new FakeCluster(lab, 'pir');
    [n0, n1] = cluster.nodes as [FakeNode, FakeNode];
    conf = cluster.writeShared(
      'policy_routing',
      [
        `${IP_A} 192.168.50.0/24 10.78.0.254`,
        `${IP_A} 10.78.0.0/24`,
        `${IP_B} 10.78.0.0/24`,
        '',
      ].join('\n'),
    );
    cluster.writeAll('events/legacy/13.per_ip_routing.options', options());
    cluster.writeAll('public_addresses', `${IP_A}/24 eth1\n${IP_B}/24 eth1\n${IP_C}/24 eth1\n`);
    await lab.client!.check(['ip', 'addr', 'add', `${FAR_CLIENT}/32`, 'dev', 'lo']);
    for (const r of await cluster.runOn(cluster.nodes, '13.per_ip_routing', 'startup'))
      assert.equal(r.status, 0, r.output);
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
  });

  test('bad settings fail with CTDB messages', async () => {
    n1.write('events/legacy/13.per_ip_routing.options', options().replace(/^.*RULE_PREF.*$/m, ''));
    let r = await n1.run('13.per_ip_routing', 'ipreallocated');
    assert.equal(r.status, 1);
    assert.match(r.output, /error: CTDB_PER_IP_ROUTING_RULE_PREF not configured/);

    n1.write(
      'events/legacy/13.per_ip_routing.options',
      options().replace('LOW=1000', 'LOW=200').replace('HIGH=9000', 'HIGH=300'),
    );
    r = await n1.run('13.per_ip_routing', 'ipreallocated');
    assert.equal(r.status, 1);
    assert.match(r.output, /must not include 253-255/);

    n1.write('events/legacy/13.per_ip_routing.options', options('/nonexistent'));
    r = await n1.run('13.per_ip_routing', 'ipreallocated');
    assert.equal(r.status, 1);
    assert.match(r.output, /error: CTDB_PER_IP_ROUTING_CONF=\/nonexistent file not found/);
    n1.write('events/legacy/13.per_ip_routing.options', options());
  });

  test('takeip installs a rule and a table per address from the policy file', async () => {
    cluster.setIps([
      { ip: IP_A, pnn: 0, iface: 'eth1' },
      { ip: IP_B, pnn: 0, iface: 'eth1' },
    ]);
    await takeip(n0, IP_A);
    await takeip(n0, IP_B);
    assert.match(
      await rules(n0),
      new RegExp(`^${PREF}:\\s+from ${IP_A} lookup ${tableId(n0, IP_A)}`, 'm'),
    );
    assert.match(
      await rules(n0),
      new RegExp(`^${PREF}:\\s+from ${IP_B} lookup ${tableId(n0, IP_B)}`, 'm'),
    );
    assert.notEqual(tableId(n0, IP_A), tableId(n0, IP_B));
    const ta = await table(n0, IP_A);
    assert.match(ta, /192\.168\.50\.0\/24 via 10\.78\.0\.254 dev eth1/);
    assert.match(ta, /10\.78\.0\.0\/24 dev eth1/);
    assert.doesNotMatch(await table(n0, IP_B), /192\.168\.50/);

    // The far client reaches A (its table routes the replies) but not B (no path configured).
    assert.ok(await pings(lab.client!, IP_A, FAR_CLIENT), 'far client cannot reach A');
    assert.equal(await pings(lab.client!, IP_B, FAR_CLIENT), false);
    assert.ok(await pings(lab.client!, IP_B), 'client cannot reach B on the local network');
  });

  test('the tables follow an address to another node and leave the old one', async () => {
    await releaseip(n0, IP_A);
    assert.doesNotMatch(await rules(n0), new RegExp(`from ${IP_A} `));
    assert.equal(await table(n0, IP_A), '');

    cluster.setIps([
      { ip: IP_A, pnn: 1, iface: 'eth1' },
      { ip: IP_B, pnn: 0, iface: 'eth1' },
    ]);
    await takeip(n1, IP_A);
    assert.match(await rules(n1), new RegExp(`from ${IP_A} lookup`));
    assert.match(await table(n1, IP_A), /192\.168\.50\.0\/24 via 10\.78\.0\.254 dev eth1/);
    assert.ok(await pings(lab.client!, IP_A, FAR_CLIENT), 'far client cannot reach A on node 1');

    for (const r of await cluster.runOn(cluster.nodes, '13.per_ip_routing', 'ipreallocated'))
      assert.equal(r.status, 0, r.output);
    assert.match(await rules(n0), new RegExp(`from ${IP_B} lookup`));
    assert.doesNotMatch(await rules(n1), new RegExp(`from ${IP_B} `));
  });

  test('ipreallocated repairs an emptied table and removes rules of unhosted addresses', async () => {
    // A table emptied behind our back (e.g. the interface's last address went away).
    await n1.host.check(['ip', 'route', 'flush', 'table', String(tableId(n1, IP_A))]);
    // A rule left behind by a releaseip that never ran.
    await n1.host.check(['ip', 'rule', 'add', 'from', IP_B, 'pref', PREF, 'table', '1999']);
    const r = await n1.run('13.per_ip_routing', 'ipreallocated');
    assert.equal(r.status, 0, r.output);
    assert.match(
      r.output,
      new RegExp(`Removing ip rule/routes for unhosted public address ${IP_B}`),
    );
    assert.doesNotMatch(await rules(n1), new RegExp(`from ${IP_B} `));
    assert.match(await table(n1, IP_A), /192\.168\.50\.0\/24 via 10\.78\.0\.254/);
  });

  test('reconfigure re-reads the policy file for hosted addresses', async () => {
    cluster.writeShared(
      'policy_routing',
      `${IP_A} 192.168.51.0/24 10.78.0.254\n${IP_A} 10.78.0.0/24\n${IP_B} 10.78.0.0/24\n`,
    );
    const r = await n1.run('13.per_ip_routing', 'reconfigure');
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /Reconfiguring service "per_ip_routing"\.\.\./);
    const t = await table(n1, IP_A);
    assert.match(t, /192\.168\.51\.0\/24 via/);
    assert.doesNotMatch(t, /192\.168\.50\.0/);
  });

  test('__auto_link_local__ gives each address a route to its own network', async () => {
    n1.write('events/legacy/13.per_ip_routing.options', options('__auto_link_local__'));
    cluster.setIps([
      { ip: IP_A, pnn: 1, iface: 'eth1' },
      { ip: IP_B, pnn: 0, iface: 'eth1' },
      { ip: IP_C, pnn: 1, iface: 'eth1' },
    ]);
    await takeip(n1, IP_C);
    assert.match(await rules(n1), new RegExp(`^${PREF}:\\s+from ${IP_C} lookup`, 'm'));
    const t = await table(n1, IP_C);
    assert.match(t, /^10\.78\.0\.0\/24 dev eth1/m);
    assert.doesNotMatch(t, /via/);
    assert.ok(await pings(lab.client!, IP_C));
  });

  test('non-IPv4 addresses are skipped', async () => {
    const r = await n1.run('13.per_ip_routing', 'takeip', 'eth1', 'fd78::5', '64');
    assert.equal(r.status, 0);
    assert.match(r.output, /takeip not an ipv4 address skipping IP:fd78::5/);
  });

  test('shutdown removes every rule, table and rt_tables entry of ours', async () => {
    const r = await n1.run('13.per_ip_routing', 'shutdown');
    assert.equal(r.status, 0, r.output);
    assert.match(
      r.output,
      new RegExp(`Removing ip rule for public address ${IP_A} for routing table ctdb\\.${IP_A}`),
    );
    assert.doesNotMatch(await rules(n1), new RegExp(`^${PREF}:`, 'm'));
    assert.doesNotMatch(readFileSync(join(n1.etcDir, 'iproute2/rt_tables'), 'utf8'), /ctdb\./);
    // startup on node 0 flushes its rules the same way.
    const s = await n0.run('13.per_ip_routing', 'startup');
    assert.equal(s.status, 0, s.output);
    assert.match(s.output, new RegExp(`Removing ip rule for public address ${IP_B}`));
    assert.doesNotMatch(await rules(n0), new RegExp(`^${PREF}:`, 'm'));
  });
});
