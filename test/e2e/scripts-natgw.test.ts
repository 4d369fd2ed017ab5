// 11.natgw on our ctdbd, across a real failover: three nodes in namespaces, 11.natgw enabled on
// each with `ctdb enablescript`, node 2 without public addresses and `follower-only` in the NAT
// gateway group. The NAT gateway leader (chosen on every ipreallocated after a takeover run)
// holds CTDB_NATGW_PUBLIC_IP and masquerades the private network; node 2 reaches the client
// namespace through it (a metric-10 default route via the leader's private address), and a
// "far" address behind the client through CTDB_NATGW_STATIC_ROUTES' per-route gateway. The
// leader then crashes (kill -9, its addresses gone as after a reboot): the other node becomes
// the gateway and node 2's traffic flows again, through it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FaultCluster } from '../support/fault-cluster.js';
import { DAEMON, skipReason } from './support/faults.js';
import {
  connectOnce,
  createClusterInTurn,
  dropPublicAddresses,
  enableScriptEverywhere,
  helperBinDir,
  ipv4Addresses,
  startPeerEcho,
  writeOnEveryNode,
  writeShared,
} from './support/scripts-net.js';

const skip = skipReason('file');

const NATGW_IP = '10.78.0.200';
const CLIENT = '10.78.0.254';
/** Behind the client: only CTDB_NATGW_STATIC_ROUTES' `@gateway` route leads there. */
const FAR = '10.99.0.1';
const ECHO_PORT = 7090;
const PRIVATE_NET = '10.77.0.0/24';
const FOLLOWER = 2;
const GATEWAYS = [0, 1];

describe(`11.natgw on a ${DAEMON} cluster across a failover`, { skip }, () => {
  let c: FaultCluster;
  let helpers: string | undefined;
  const savedHelperDir = process.env.CTDB_HELPER_BINDIR;

  before(async () => {
    helpers = helperBinDir(['ctdb_natgw']);
    process.env.CTDB_HELPER_BINDIR = helpers;
    c = await createClusterInTurn({
      daemon: DAEMON,
      label: 'h5ngw',
      publicAddresses: 1,
      tunables: {
        KeepaliveInterval: 1,
        KeepaliveLimit: 3,
        MonitorInterval: 2,
        RerecoveryTimeout: 2,
      },
      readyTimeoutMs: 60_000,
    });
    const client = c.lab.client!;
    await client.check(['ip', 'addr', 'add', `${FAR}/32`, 'dev', 'lo']);
    await startPeerEcho(client, ECHO_PORT);

    const group = c.nodes
      .map((n) => `${n.host.privateAddress}${n.pnn === FOLLOWER ? ' follower-only' : ''}\n`)
      .join('');
    const nodesFile = writeShared(c, 'natgw_nodes', group);
    writeOnEveryNode(
      c,
      'events/legacy/11.natgw.options',
      [
        `CTDB_NATGW_NODES=${nodesFile}`,
        `CTDB_NATGW_PUBLIC_IP=${NATGW_IP}/24`,
        'CTDB_NATGW_PUBLIC_IFACE=eth1',
        `CTDB_NATGW_PRIVATE_NETWORK=${PRIVATE_NET}`,
        `CTDB_NATGW_STATIC_ROUTES="0.0.0.0/0 10.99.0.0/16@${CLIENT}"`,
        '',
      ].join('\n'),
    );
    await enableScriptEverywhere(c, '11.natgw');
    // Taking node 2's addresses away is a takeover run, whose ipreallocated applies the gateway.
    await dropPublicAddresses(c, FOLLOWER, 30_000);
  });

  after(async () => {
    await c?.destroy();
    if (helpers !== undefined) rmSync(helpers, { recursive: true, force: true });
    if (savedHelperDir === undefined) delete process.env.CTDB_HELPER_BINDIR;
    else process.env.CTDB_HELPER_BINDIR = savedHelperDir;
  });

  /** `ctdb natgw leader` on node `via`: the leader's pnn, or undefined. */
  async function natgwLeader(via: number): Promise<number | undefined> {
    const r = await c.ctdb(via, ['natgw', 'leader'], 10_000);
    const pnn = Number(r.stdout.trim().split(/\s+/)[0]);
    return r.code === 0 && Number.isInteger(pnn) && pnn >= 0 ? pnn : undefined;
  }

  async function masquerades(pnn: number): Promise<boolean> {
    const rules = await c.node(pnn).host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']);
    return new RegExp(`-s ${PRIVATE_NET} ! -d ${PRIVATE_NET} -j MASQUERADE`).test(rules);
  }

  async function followerRoutes(): Promise<string> {
    return c.node(FOLLOWER).host.check(['ip', 'route', 'show']);
  }

  /** The gateway is `pnn`, as its own addresses, iptables and node 2's routes show. */
  async function gatewayIs(pnn: number): Promise<boolean> {
    const via = c.node(pnn).host.privateAddress!;
    const routes = await followerRoutes();
    return (
      (await natgwLeader(FOLLOWER)) === pnn &&
      (await ipv4Addresses(c.node(pnn).host, 'eth1')).includes(NATGW_IP) &&
      (await masquerades(pnn)) &&
      new RegExp(`^default via ${via.replace(/\./g, '\\.')} dev eth0 .*metric 10\\b`, 'm').test(
        routes,
      )
    );
  }

  /**
   * Node 2 connects to `target`; the client's listener reports the source it saw, which must be
   * one of the gateway's public-side addresses (masqueraded), never node 2's private address.
   */
  async function followerReaches(target: string, gateway: number): Promise<boolean> {
    const seen = await connectOnce(c.node(FOLLOWER).host, target, ECHO_PORT);
    if (seen === undefined) return false;
    assert.notEqual(seen, c.node(FOLLOWER).host.privateAddress, 'traffic was not masqueraded');
    assert.ok(
      (await ipv4Addresses(c.node(gateway).host, 'eth1')).includes(seen),
      `the client saw ${seen}, not an address of the gateway node ${gateway}`,
    );
    return true;
  }

  let first: number;

  test('one node is the NAT gateway: it holds the address, masquerades, node 2 routes via it', async () => {
    await c.waitFor(
      async () => {
        const l = await natgwLeader(FOLLOWER);
        return l !== undefined && (await gatewayIs(l));
      },
      30_000,
      'a NAT gateway leader set up after ipreallocated',
    );
    first = (await natgwLeader(FOLLOWER))!;
    assert.ok(GATEWAYS.includes(first), `the follower-only node ${first} was chosen`);
    for (const p of GATEWAYS) assert.equal(await natgwLeader(p), first, `node ${p} disagrees`);
    const other = GATEWAYS.find((p) => p !== first)!;
    assert.ok(!(await ipv4Addresses(c.node(other).host, 'eth1')).includes(NATGW_IP));
    assert.ok(!(await masquerades(other)), `node ${other} masquerades too`);
    // Node 2 has no public address, so nothing but the gateway leads to the public network.
    assert.deepEqual(await ipv4Addresses(c.node(FOLLOWER).host, 'eth1'), []);
  });

  test('node 2 reaches the client through the gateway', async () => {
    assert.ok(await followerReaches(CLIENT, first), 'node 2 could not reach the client');
  });

  test('CTDB_NATGW_STATIC_ROUTES: a per-route gateway on the leader, routes via it on node 2', async () => {
    const leaderRoutes = await c.node(first).host.check(['ip', 'route', 'show']);
    assert.match(leaderRoutes, /^10\.99\.0\.0\/16 via 10\.78\.0\.254 dev eth1 .*metric 10\b/m);
    const via = c.node(first).host.privateAddress!.replace(/\./g, '\\.');
    assert.match(
      await followerRoutes(),
      new RegExp(`^10\\.99\\.0\\.0/16 via ${via} dev eth0 .*metric 10\\b`, 'm'),
    );
    assert.ok(await followerReaches(FAR, first), 'node 2 could not reach the far address');
  });

  test('the gateway crashes: the other node takes over and node 2 reaches the client again', async () => {
    const next = GATEWAYS.find((p) => p !== first)!;
    await c.crash(first);
    // A rebooted machine comes up without the gateway address either.
    await c.node(first).host.run(['ip', 'addr', 'del', `${NATGW_IP}/24`, 'dev', 'eth1']);
    const t0 = performance.now();
    await c.waitFor(() => gatewayIs(next), 45_000, `node ${next} as the new NAT gateway`);
    await c.waitFor(
      async () => (await followerReaches(CLIENT, next)) && (await followerReaches(FAR, next)),
      15_000,
      'node 2 reaching the client through the new gateway',
    );
    console.log(
      `# natgw failover: node ${first} crashed → node ${next} gateway, node 2 reaching the client in ${Math.round(performance.now() - t0)} ms`,
    );
    assert.ok(
      !(await c.node(FOLLOWER).host.check(['ip', 'route', 'show'])).includes(
        `via ${c.node(first).host.privateAddress!} `,
      ),
      'node 2 still routes via the crashed node',
    );
  });
});
