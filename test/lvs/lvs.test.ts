// 91.lvs across three node namespaces. Every node holds the LVS address on `lo`; followers with
// scope host and arp_ignore=3, so only the LVS leader (chosen by the real ctdb_lvs helper from
// the node states) answers the client's ARP. The leader builds the IPVS service with the usable
// nodes as real servers; unhealthy, disabled and stopped nodes leave the pool.
//
// Node states come from a fake `ctdb` (see test/natgw/support/fake-cluster.ts): a ctdbd cluster
// cannot be produced on demand here yet, so events are run in each namespace in ctdbd's order.
//
// The kernel may lack IPVS (no module, no /proc/net/ip_vs). The pool the script builds is then
// checked through a recording `ipvsadm` stub; the end-to-end IPVS test needs the real thing and
// is skipped with the reason when the kernel does not have it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';
import { FakeCluster, pings, type FakeNode } from '../natgw/support/fake-cluster.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

const LVS_IP = '10.78.0.200';

/** Why the kernel cannot do IPVS in a namespace, or undefined when it can. */
function ipvsUnavailable(): string | undefined {
  if (!can.ok) return can.reason;
  const ns = `h8ipvs${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-L', '-n'], { encoding: 'utf8' });
    if (r.error !== undefined) return `ipvsadm cannot run: ${r.error.message}`;
    if (r.status !== 0) {
      return `the kernel has no IPVS (/proc/net/ip_vs missing; ipvsadm: ${(r.stderr || r.stdout).split('\n')[0] ?? ''})`;
    }
    return undefined;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const RECORDING_IPVSADM = `#!/bin/sh
# Records ipvsadm calls in $FAKE_NODE_DIR/ipvsadm.log (the kernel here has no IPVS).
echo "$*" >>"$FAKE_NODE_DIR/ipvsadm.log"
exit 0
`;

function optionsText(cluster: FakeCluster, iface: string | null = 'eth1'): string {
  return (
    `CTDB_LVS_NODES=${cluster.dir}/lvs_nodes\nCTDB_LVS_PUBLIC_IP=${LVS_IP}\n` +
    (iface === null ? '' : `CTDB_LVS_PUBLIC_IFACE=${iface}\n`)
  );
}

async function loAddress(host: LabHost): Promise<string> {
  return host.check(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo', 'to', `${LVS_IP}/32`]);
}

async function macOf(host: LabHost, iface: string): Promise<string> {
  const out = await host.check(['cat', `/sys/class/net/${iface}/address`]);
  return out.trim();
}

describe('91.lvs on a namespace cluster (pool through a recording ipvsadm)', { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;
  let n0: FakeNode, n1: FakeNode, n2: FakeNode;

  function ipvsLog(node: FakeNode): string[] {
    try {
      return node.read('ipvsadm.log').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  function clearLogs(): void {
    for (const n of cluster.nodes) {
      writeFileSync(join(n.dir, 'ipvsadm.log'), '');
      writeFileSync(join(n.dir, 'calls'), '');
    }
  }

  /** The real servers the leader added for TCP, in order. */
  function tcpPool(node: FakeNode): string[] {
    return ipvsLog(node)
      .filter((l) => l.startsWith(`-a -t ${LVS_IP} `))
      .map((l) => l.split(' ')[4] ?? '');
  }

  async function ipreallocatedAll(): Promise<void> {
    clearLogs();
    for (const r of await cluster.runOn(cluster.nodes, '91.lvs', 'ipreallocated'))
      assert.equal(r.status, 0, r.output);
  }

  /** Which node's MAC the client resolves the LVS address to. */
  async function clientArpTarget(): Promise<FakeNode | undefined> {
    const client = lab.client!;
    await client.check(['ip', 'neigh', 'flush', 'dev', 'eth0']);
    assert.ok(await pings(client, LVS_IP), 'client cannot reach the LVS address');
    const neigh = await client.check(['ip', 'neigh', 'show', LVS_IP]);
    for (const n of cluster.nodes) {
      if (neigh.includes(await macOf(n.host, 'eth1'))) return n;
    }
    return undefined;
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 3, nodePublicAddresses: true, label: 'h8lvs' });
    cluster = new FakeCluster(lab, 'lvs');
    [n0, n1, n2] = cluster.nodes as [FakeNode, FakeNode, FakeNode];
    const stub = join(cluster.helperDir, 'ipvsadm');
    writeFileSync(stub, RECORDING_IPVSADM);
    chmodSync(stub, 0o755);
    cluster.extraEnv = { PATH: `${cluster.helperDir}:${process.env.PATH ?? ''}` };
    cluster.writeShared('lvs_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
    cluster.writeAll('events/legacy/91.lvs.options', optionsText(cluster));
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
  });

  test('without CTDB_LVS_NODES the script does nothing', async () => {
    n0.write('events/legacy/91.lvs.options', '');
    const r = await n0.run('91.lvs', 'startup');
    assert.equal(r.status, 0);
    assert.equal(r.output, '');
    assert.equal(await loAddress(n0.host), '');
    n0.write('events/legacy/91.lvs.options', optionsText(cluster));
  });

  test('configuration checks; a follower-only node needs no public interface', async () => {
    cluster.writeShared(
      'lvs_nodes',
      `${n0.host.privateAddress}\n${n1.host.privateAddress}\n${n2.host.privateAddress} follower-only\n`,
    );
    n0.write('events/legacy/91.lvs.options', optionsText(cluster, null));
    let r = await n0.run('91.lvs', 'setup');
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /Invalid configuration: CTDB_LVS_PUBLIC_IFACE not set/);
    n2.write('events/legacy/91.lvs.options', optionsText(cluster, null));
    r = await n2.run('91.lvs', 'setup');
    assert.equal(r.status, 0, r.output);
    n0.write('events/legacy/91.lvs.options', `CTDB_LVS_NODES=${cluster.dir}/lvs_nodes\n`);
    r = await n0.run('91.lvs', 'setup');
    assert.equal(r.status, 1);
    assert.match(r.output, /Invalid configuration: CTDB_LVS_PUBLIC_IP not set/);
    cluster.writeAll('events/legacy/91.lvs.options', optionsText(cluster));
    cluster.writeShared('lvs_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
  });

  test('startup puts the address on lo with scope host and stops ARP for it', async () => {
    for (const r of await cluster.runOn(cluster.nodes, '91.lvs', 'startup'))
      assert.equal(r.status, 0, r.output);
    for (const n of cluster.nodes) {
      assert.match(await loAddress(n.host), new RegExp(`${LVS_IP}/32 scope host`));
      const sys = '/proc/sys/net/ipv4/conf/all';
      assert.equal((await n.host.check(['cat', `${sys}/arp_ignore`])).trim(), '3');
      assert.equal((await n.host.check(['cat', `${sys}/arp_announce`])).trim(), '2');
      assert.ok(ipvsLog(n).includes(`-D -t ${LVS_IP}`));
    }
  });

  test('the leader answers for the address and balances over every healthy node', async () => {
    await ipreallocatedAll();
    assert.doesNotMatch(await loAddress(n0.host), /scope host/);
    assert.match(await loAddress(n0.host), new RegExp(`${LVS_IP}/32`));
    for (const f of [n1, n2]) {
      assert.match(await loAddress(f.host), /scope host/);
      assert.equal(ipvsLog(f).filter((l) => l.startsWith('-A')).length, 0);
    }
    assert.ok(ipvsLog(n0).includes(`-A -t ${LVS_IP} -p 1999999 -s lc`));
    assert.ok(ipvsLog(n0).includes(`-A -u ${LVS_IP} -p 1999999 -s lc`));
    assert.deepEqual(tcpPool(n0), ['10.77.0.2', '10.77.0.3', '127.0.0.1']);
    assert.ok(ipvsLog(n0).includes(`-a -t ${LVS_IP} -r 10.77.0.2 -g`));
    assert.ok(n0.calls().includes(`gratarp ${LVS_IP} eth1`));
    assert.equal(await clientArpTarget(), n0, 'only the leader may answer ARP');
  });

  test('unhealthy and disabled nodes leave the pool', async () => {
    cluster.setStates(['ok', 'unhealthy', 'ok']);
    await ipreallocatedAll();
    assert.deepEqual(tcpPool(n0), ['10.77.0.3', '127.0.0.1']);
    cluster.setStates(['ok', 'unhealthy', 'disabled']);
    await ipreallocatedAll();
    assert.deepEqual(tcpPool(n0), ['127.0.0.1']);
  });

  test('a stopped leader hands over: the next healthy node answers and balances', async () => {
    cluster.setStates(['stopped', 'ok', 'ok']);
    await ipreallocatedAll();
    assert.match(await loAddress(n0.host), /scope host/);
    assert.doesNotMatch(await loAddress(n1.host), /scope host/);
    assert.deepEqual(tcpPool(n1), ['10.77.0.3', '127.0.0.1']);
    assert.deepEqual(tcpPool(n0), []);
    assert.equal(await clientArpTarget(), n1, 'the new leader does not answer ARP');
    cluster.setStates(['ok', 'ok', 'ok']);
  });

  test('monitor checks the public interface', async () => {
    let r = await n1.run('91.lvs', 'monitor');
    assert.equal(r.status, 0, r.output);
    n1.write('events/legacy/91.lvs.options', optionsText(cluster, 'eth7'));
    r = await n1.run('91.lvs', 'monitor');
    assert.equal(r.status, 1);
    assert.match(r.output, /ERROR: Monitored interface eth7 does not exist/);
    n1.write('events/legacy/91.lvs.options', optionsText(cluster));
  });

  test('shutdown removes the services and the address', async () => {
    clearLogs();
    const r = await n0.run('91.lvs', 'shutdown');
    assert.equal(r.status, 0, r.output);
    assert.equal(await loAddress(n0.host), '');
    assert.deepEqual(ipvsLog(n0), [`-D -t ${LVS_IP}`, `-D -u ${LVS_IP}`]);
  });
});

const noIpvs = ipvsUnavailable();

async function realServers(node: FakeNode): Promise<string[]> {
  const out = await node.host.check(['ipvsadm', '-L', '-n', '-t', `${LVS_IP}:0`]);
  return [...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+):/g)].map((m) => m[1]!).sort();
}

// One test rather than a suite, so that a kernel without IPVS shows as a skipped test with its
// reason.
test(
  '91.lvs with the kernel IPVS: the leader balances over the healthy nodes; failed ones leave',
  { skip: noIpvs ?? false },
  async () => {
    const lab = await NetLab.create({ nodes: 3, nodePublicAddresses: true, label: 'h8ipvs' });
    const cluster = new FakeCluster(lab, 'ipvs');
    try {
      const n0 = cluster.nodes[0]!;
      cluster.writeShared('lvs_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
      cluster.writeAll('events/legacy/91.lvs.options', optionsText(cluster));
      for (const event of ['startup', 'ipreallocated']) {
        for (const r of await cluster.runOn(cluster.nodes, '91.lvs', event))
          assert.equal(r.status, 0, r.output);
      }
      assert.deepEqual(await realServers(n0), ['10.77.0.2', '10.77.0.3', '127.0.0.1']);

      // A client connection is served by one of the nodes, through the leader.
      const client = lab.client!;
      const servers = cluster.nodes.map((n) =>
        n.host.spawn([
          'sh',
          '-c',
          `while :; do echo ${n.host.name} | nc -l -s ${LVS_IP} -p 8080 -q 1; done`,
        ]),
      );
      try {
        const r = await client.run(['nc', '-w', '3', LVS_IP, '8080'], { timeoutMs: 10_000 });
        assert.match(r.stdout, /node[0-2]/);
      } finally {
        for (const s of servers) s.kill();
      }

      cluster.setStates(['ok', 'unhealthy', 'disabled']);
      for (const r of await cluster.runOn(cluster.nodes, '91.lvs', 'ipreallocated'))
        assert.equal(r.status, 0, r.output);
      assert.deepEqual(await realServers(n0), ['127.0.0.1']);
    } finally {
      await cluster.cleanup();
      await lab.destroy();
    }
  },
);
