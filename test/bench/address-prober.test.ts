// The address prober's measurements against situations built by hand in a NetLab, so the
// failover benchmark and the fault tests can trust them: a duplicate is seen when two nodes hold
// one address, an outage of known length is measured as that long, an address moved with a
// gratuitous ARP is seen answering from its new node, and held connections report how they end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressProber, holdConnections, now } from '../support/address-prober.js';
import { canCreateNamespaces, NetLab, type LabHost, type LabProcess } from '../support/netlab.js';

const ADDRESS = '10.78.0.101';
const OTHER = '10.78.0.102';
const PORT = 7001;

function whyNot(): string | undefined {
  const can = canCreateNamespaces();
  if (!can.ok) return can.reason;
  if (spawnSync('arping', ['--help']).error !== undefined) return 'arping is not installed';
  return undefined;
}
const skip = whyNot() ?? false;

/** The cluster's test service: writes the node's PNN on connect and keeps the connection. */
function startService(host: LabHost, pnn: number, port = PORT): LabProcess {
  const code = [
    "const net = require('node:net');",
    'net.createServer((s) => { s.on("error", () => {}); s.write(process.argv[1] + "\\n"); })',
    `.listen(${port}, () => console.log('listening'));`,
  ].join('');
  return host.spawn([process.execPath, '-e', code, String(pnn)]);
}

async function addAddress(host: LabHost, address: string): Promise<void> {
  await host.check(['ip', 'addr', 'add', `${address}/24`, 'dev', host.publicIface]);
}

async function delAddress(host: LabHost, address: string): Promise<void> {
  await host.check(['ip', 'addr', 'del', `${address}/24`, 'dev', host.publicIface]);
}

/** A gratuitous ARP from `host` for `address`, as a node sends after taking it over. */
async function announce(host: LabHost, address: string): Promise<void> {
  await host.run(['arping', '-U', '-c', '1', '-i', host.publicIface, '-S', address, address], {
    timeoutMs: 5000,
  });
}

describe('address prober', { skip }, () => {
  let lab: NetLab;
  let node0: LabHost;
  let node1: LabHost;
  let client: LabHost;

  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'prb' });
    node0 = lab.nodes[0]!;
    node1 = lab.nodes[1]!;
    client = lab.client!;
    // Deleting the first address of a subnet would otherwise take the others with it.
    for (const n of [node0, node1])
      await n.check(['sysctl', '-qw', `net.ipv4.conf.${n.publicIface}.promote_secondaries=1`]);
    await Promise.all([
      startService(node0, 0).waitForOutput(/listening/),
      startService(node1, 1).waitForOutput(/listening/),
    ]);
  });

  after(async () => {
    await lab.destroy();
  });

  it('sees two MACs answering one address as a duplicate, and none when one node holds it', async () => {
    await addAddress(node0, ADDRESS);
    await addAddress(node0, OTHER);
    const prober = await AddressProber.start(client, [ADDRESS, OTHER], { arp: true });
    try {
      await prober.allAnswerSince(now(), 5000);
      const quiet = now();
      await sleep(600);
      assert.deepEqual(prober.duplicates(quiet), []);
      assert.equal(prober.macs(ADDRESS).length, 1);
      assert.equal(prober.owners().get(ADDRESS), 0);

      const t0 = now();
      await addAddress(node1, ADDRESS);
      await sleep(600);
      const dups = prober.duplicates(t0);
      assert.ok(dups.length > 0, 'a duplicate is reported');
      assert.ok(dups.every((d) => d.address === ADDRESS && d.macs.length === 2));
      assert.deepEqual(
        prober.duplicates(t0).filter((d) => d.address === OTHER),
        [],
      );
    } finally {
      await prober.stop();
      await delAddress(node1, ADDRESS).catch(() => undefined);
      await delAddress(node0, ADDRESS).catch(() => undefined);
      await delAddress(node0, OTHER).catch(() => undefined);
    }
  });

  it('measures how long an address was unreachable', async () => {
    await addAddress(node0, ADDRESS);
    await addAddress(node0, OTHER);
    const prober = await AddressProber.start(client, [ADDRESS, OTHER]);
    try {
      await prober.allAnswerSince(now(), 5000);
      await delAddress(node0, ADDRESS);
      const t0 = now();
      await sleep(700);
      await addAddress(node0, ADDRESS);
      const ms = await prober.allAnswerSince(t0, 5000);
      assert.ok(ms >= 700, `outage measured as ${ms.toFixed(0)} ms, at least 700`);
      assert.ok(ms < 1300, `outage measured as ${ms.toFixed(0)} ms, under 1300`);
      assert.ok((prober.failuresSince(t0).get(ADDRESS) ?? 0) > 0, 'failed probes recorded');
      assert.equal(prober.failuresSince(t0).get(OTHER), 0);
    } finally {
      await prober.stop();
      await delAddress(node0, ADDRESS).catch(() => undefined);
      await delAddress(node0, OTHER).catch(() => undefined);
    }
  });

  it('follows an address moved to another node, and held connections see the reset', async () => {
    await addAddress(node0, ADDRESS);
    const prober = await AddressProber.start(client, [ADDRESS], { arp: true });
    const held = await holdConnections(client, [ADDRESS], PORT, { pokeMs: 50 });
    try {
      assert.equal(held.list()[0]?.pnn, 0);
      await prober.allAnswerSince(now(), 5000);
      const t0 = now();
      await delAddress(node0, ADDRESS);
      await addAddress(node1, ADDRESS);
      await sleep(400);
      await announce(node1, ADDRESS);
      const ms = await prober.allAnswerSince(t0, 5000, { notFrom: [0] });
      assert.ok(ms >= 400 && ms < 1500, `moved address answered after ${ms.toFixed(0)} ms`);
      assert.equal(prober.owners().get(ADDRESS), 1);
      assert.equal(prober.macs(ADDRESS).length, 2, 'both nodes answered ARP, one after the other');
      assert.deepEqual(prober.duplicates(t0), [], 'a clean move is no duplicate');

      const [conn] = await held.waitClosed([ADDRESS], 5000);
      assert.equal(conn?.how, 'reset');
      assert.ok(conn.closedAt !== undefined && conn.closedAt - t0 < 1500);
    } finally {
      await held.stop();
      await prober.stop();
      await delAddress(node1, ADDRESS).catch(() => undefined);
    }
  });

  it('reports a held connection whose server went away as fin', async () => {
    await addAddress(node0, OTHER);
    // A service of its own on another port, so killing it leaves the shared one alone.
    const server = startService(node0, 0, PORT + 1);
    await server.waitForOutput(/listening/);
    const held = await holdConnections(client, [OTHER], PORT + 1);
    try {
      await sleep(200);
      assert.equal(held.list()[0]?.closedAt, undefined, 'held open while the server lives');
      const t0 = now();
      server.kill('SIGKILL');
      const [conn] = await held.waitClosed([OTHER], 5000);
      assert.equal(conn?.how, 'fin');
      assert.ok(conn.closedAt !== undefined && conn.closedAt - t0 < 1000);
    } finally {
      await held.stop();
      server.kill('SIGKILL');
      await delAddress(node0, OTHER).catch(() => undefined);
    }
  });
});
