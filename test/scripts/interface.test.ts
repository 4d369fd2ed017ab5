// 10.interface in real network namespaces: public addresses are added to and removed from a
// node's interfaces, the client on the public bridge reaches them, learns their new MAC from
// the gratuitous ARP, has its TCP connections reset on release, and monitor follows carrier.
// The script runs as the event daemon's fast path runs it: one module load, many hook calls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';
import { HookServer, ScriptSandbox } from './support/script-host.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

async function addressesOn(host: LabHost, iface: string): Promise<string> {
  return host.check(['ip', '-br', 'addr', 'show', 'dev', iface]);
}

async function macOf(host: LabHost, iface: string): Promise<string> {
  const out = await host.check(['cat', `/sys/class/net/${iface}/address`]);
  return out.trim();
}

async function neighbourMac(host: LabHost, ip: string): Promise<string | undefined> {
  const out = await host.check(['ip', 'neigh', 'show', ip]);
  return /lladdr (\S+)/.exec(out)?.[1];
}

/** Polls until CHECK returns true, at most COUNT times INTERVAL ms apart. */
async function eventually(
  check: () => Promise<boolean>,
  count = 50,
  interval = 100,
): Promise<boolean> {
  for (let i = 0; i < count; i++) {
    if (await check()) return true;
    await sleep(interval);
  }
  return false;
}

describe('10.interface in network namespaces', { skip }, () => {
  let lab: NetLab;
  const boxes: ScriptSandbox[] = [];
  const servers: HookServer[] = [];
  let node0: LabHost;
  let node1: LabHost;
  let client: LabHost;

  /** A hook server for 10.interface on HOST, with its own CTDB_BASE. */
  async function scriptOn(
    host: LabHost,
    publicAddresses: string,
    extraEnv: Record<string, string> = {},
  ): Promise<{ box: ScriptSandbox; script: HookServer }> {
    const box = new ScriptSandbox(host.name);
    boxes.push(box);
    box.write('public_addresses', publicAddresses);
    const script = await HookServer.start(
      '10.interface',
      box.env(extraEnv),
      host,
      box.install('10.interface'),
    );
    servers.push(script);
    return { box, script };
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 2, ipv6: true, label: 'h2bif' });
    [node0, node1] = lab.nodes as [LabHost, LabHost];
    client = lab.client!;
  });

  after(async () => {
    for (const s of servers) await s.stop();
    await lab?.destroy();
    for (const b of boxes) b.cleanup();
  });

  test('takeip hosts an IPv4 address the client reaches; a move updates the client ARP entry (gratuitous ARP)', async () => {
    const ip = '10.78.0.100';
    const pa = `${ip}/24 eth1\n`;
    const { script: s1 } = await scriptOn(node1, pa);
    // ctdbd announces a taken address; with no daemon here, the script is asked to.
    const { box: b0, script: s0 } = await scriptOn(node0, pa);
    b0.write('events/legacy/10.interface.options', 'CTDB_TAKEIP_GRATUITOUS_ARP=yes\n');

    const r1 = await s1.run('takeip', 'eth1', ip, '24');
    assert.equal(r1.status, 0, r1.output);
    assert.match(await addressesOn(node1, 'eth1'), /10\.78\.0\.100\/24/);
    const ping = await client.run(['ping', '-c', '1', '-W', '2', ip]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.equal(await neighbourMac(client, ip), await macOf(node1, 'eth1'));

    const rel = await s1.run('releaseip', 'eth1', ip, '24');
    assert.equal(rel.status, 0, rel.output);
    assert.doesNotMatch(await addressesOn(node1, 'eth1'), /10\.78\.0\.100/);

    // The kernel refuses to override a neighbour entry younger than its locktime (1 s).
    await sleep(1200);
    const r0 = await s0.run('takeip', 'eth1', ip, '24');
    assert.equal(r0.status, 0, r0.output);
    const node0Mac = await macOf(node0, 'eth1');
    // No traffic from the client: only the announcement can have changed its entry.
    assert.ok(
      await eventually(async () => (await neighbourMac(client, ip)) === node0Mac, 20, 100),
      `client neighbour entry still ${await neighbourMac(client, ip)}, want ${node0Mac}`,
    );
    const ping2 = await client.run(['ping', '-c', '1', '-W', '2', ip]);
    assert.equal(ping2.code, 0, ping2.stdout + ping2.stderr);
    const done = await s0.run('releaseip', 'eth1', ip, '24');
    assert.equal(done.status, 0, done.output);
  });

  test('takeip of an IPv6 address waits out DAD and the client reaches it', async () => {
    const ip = 'fd78::100';
    const { script } = await scriptOn(node0, `${ip}/64 eth1\n`);
    const r = await script.run('takeip', 'eth1', ip, '64');
    assert.equal(r.status, 0, r.output);
    const shown = await node0.check(['ip', '-6', 'addr', 'show', 'dev', 'eth1']);
    assert.match(shown, /fd78::100\/64/);
    assert.doesNotMatch(shown, /fd78::100\/64.*tentative/);
    const ping = await client.run(['ping', '-6', '-c', '1', '-W', '2', ip]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const rel = await script.run('releaseip', 'eth1', ip, '64');
    assert.equal(rel.status, 0, rel.output);
    assert.doesNotMatch(
      await node0.check(['ip', '-6', 'addr', 'show', 'dev', 'eth1']),
      /fd78::100/,
    );
  });

  for (const method of ['no', 'yes'] as const) {
    test(`releaseip resets the client's open TCP connections (CTDB_KILLTCP_USE_SS_KILL=${method})`, async () => {
      const ip = method === 'no' ? '10.78.0.101' : '10.78.0.102';
      const { box, script } = await scriptOn(node0, `${ip}/24 eth1\n`);
      box.write('events/legacy/10.interface.options', `CTDB_KILLTCP_USE_SS_KILL=${method}\n`);
      assert.equal((await script.run('takeip', 'eth1', ip, '24')).status, 0);
      const server = node0.spawn([
        process.execPath,
        '-e',
        `const k=[];require('net').createServer((s)=>{k.push(s);s.on('error',()=>{});})
           .listen(7001,'${ip}',()=>console.log('listening'));`,
      ]);
      await server.waitForOutput(/listening/);
      const conn = client.spawn([
        process.execPath,
        '-e',
        `const s=require('net').connect(7001,'${ip}',()=>console.log('connected'));
         s.on('error',(e)=>{console.log('error '+e.code);process.exit(0)});
         s.on('close',()=>{console.log('closed');process.exit(0)});`,
      ]);
      await conn.waitForOutput(/connected/);
      const rel = await script.run('releaseip', 'eth1', ip, '24');
      assert.equal(rel.status, 0, rel.output);
      assert.match(
        rel.output,
        new RegExp(`Killed 1/1 TCP connections to released IP ${ip.replaceAll('.', '\\.')}`),
      );
      await conn.waitForOutput(/error ECONNRESET|closed/, 5000);
      assert.doesNotMatch(await addressesOn(node0, 'eth1'), new RegExp(ip.replaceAll('.', '\\.')));
      // The DROP rule put in place during the release is gone again.
      const rules = await node0.check(['iptables', '-S', 'INPUT']);
      assert.doesNotMatch(rules, new RegExp(ip.replaceAll('.', '\\.')));
      server.kill();
    });
  }

  test('updateip moves the address between interfaces', async () => {
    const ip = '10.78.0.103';
    const { box, script } = await scriptOn(node0, `${ip}/24 eth1,eth0\n`);
    assert.equal((await script.run('takeip', 'eth1', ip, '24')).status, 0);
    box.clearCalls();
    const r = await script.run('updateip', 'eth1', 'eth0', ip, '24');
    assert.equal(r.status, 0, r.output);
    assert.match(await addressesOn(node0, 'eth0'), /10\.78\.0\.103\/24/);
    assert.doesNotMatch(await addressesOn(node0, 'eth1'), /10\.78\.0\.103/);
    assert.ok(box.calls().includes(`gratarp ${ip} eth0`), box.calls().join('\n'));
    const again = await script.run('updateip', 'eth1', 'eth0', ip, '24');
    assert.equal(again.status, 0);
    assert.match(again.output, /Redundant "updateip" - 10\.78\.0\.103 already on eth0/);
    assert.equal((await script.run('releaseip', 'eth0', ip, '24')).status, 0);
  });

  test('releaseip of an address that is not here fails as in CTDB 4.17', async () => {
    const { script } = await scriptOn(node0, '10.78.0.104/24 eth1\n');
    const r = await script.run('releaseip', 'eth1', '10.78.0.104', '24');
    assert.equal(r.status, 1);
    assert.match(r.output, /ERROR: Unable to determine interface for IP 10\.78\.0\.104/);
  });

  test('monitor fails while the public interface has no carrier and passes when it returns', async () => {
    const { box, script } = await scriptOn(node1, '10.78.0.110/24 eth1\n');
    assert.equal((await script.run('monitor')).status, 0);
    await lab.setLink(node1, 'public', false);
    try {
      box.clearCalls();
      const down = await script.run('monitor');
      assert.equal(down.status, 1, down.output);
      assert.match(down.output, /ERROR: No link on the public network interface eth1/);
      assert.ok(box.calls().includes('setifacelink eth1 down'), box.calls().join('\n'));
    } finally {
      await lab.setLink(node1, 'public', true);
    }
    box.clearCalls();
    const up = await script.run('monitor');
    assert.equal(up.status, 0, up.output);
    assert.ok(box.calls().includes('setifacelink eth1 up'), box.calls().join('\n'));
  });

  test('partially online interfaces fail monitor unless CTDB_PARTIALLY_ONLINE_INTERFACES=yes', async () => {
    const { box, script } = await scriptOn(node1, '10.78.0.111/24 eth1\n10.77.0.111/24 eth0\n');
    await lab.setLink(node1, 'public', false);
    try {
      const strict = await script.run('monitor');
      assert.equal(strict.status, 1, strict.output);
      box.write('events/legacy/10.interface.options', 'CTDB_PARTIALLY_ONLINE_INTERFACES=yes\n');
      const partial = await script.run('monitor');
      assert.equal(partial.status, 0, partial.output);
      assert.match(partial.output, /ERROR: No link on the public network interface eth1/);
      await lab.setLink(node1, 'private', false);
      const none = await script.run('monitor');
      assert.equal(none.status, 1, 'all interfaces down fails even when partially online');
    } finally {
      await lab.setLink(node1, 'public', true);
      await lab.setLink(node1, 'private', true);
    }
  });

  test('a malformed public_addresses line is reported with file and line', async () => {
    const { box, script } = await scriptOn(node0, '10.78.0.120/24 eth1\n10.78.0.300/24 eth1\n');
    const r = await script.run('monitor');
    assert.equal(r.status, 1);
    assert.ok(
      r.output.includes(`${join(box.base, 'public_addresses')}:2:`),
      `output names file and line: ${r.output}`,
    );
    assert.match(r.output, /'10\.78\.0\.300' is not an IP address/);
  });

  test('a malformed options file is reported with file and line', async () => {
    const { box, script } = await scriptOn(node0, '10.78.0.121/24 eth1\n');
    box.write('script.options', '# site options\nCTDB_PARTIALLY_ONLINE_INTERFACES=maybe\n');
    const r = await script.run('monitor');
    assert.equal(r.status, 1);
    assert.ok(r.output.includes(`${join(box.base, 'script.options')}:2`), r.output);
    assert.match(r.output, /CTDB_PARTIALLY_ONLINE_INTERFACES/);
  });

  test('init drops public addresses left behind and shutdown drops hosted ones', async () => {
    const { script } = await scriptOn(
      node0,
      '10.78.0.130/24 eth1\n# comment\n10.78.0.131/24 eth1\n',
    );
    await node0.check(['ip', 'addr', 'add', '10.78.0.130/24', 'dev', 'eth1']);
    const init = await script.run('init');
    assert.equal(init.status, 0, init.output);
    assert.match(init.output, /Removing public address 10\.78\.0\.130\/24 from device eth1/);
    assert.doesNotMatch(await addressesOn(node0, 'eth1'), /10\.78\.0\.130/);
    assert.equal(
      (await node0.check(['cat', '/proc/sys/net/ipv4/conf/all/arp_filter'])).trim(),
      '1',
    );
    assert.equal((await script.run('takeip', 'eth1', '10.78.0.131', '24')).status, 0);
    const down = await script.run('shutdown');
    assert.equal(down.status, 0, down.output);
    assert.doesNotMatch(await addressesOn(node0, 'eth1'), /10\.78\.0\.131/);
  });

  test('without public_addresses every event succeeds and init says so', async () => {
    const { box, script } = await scriptOn(node0, '');
    box.remove('public_addresses');
    const init = await script.run('init');
    assert.equal(init.status, 0);
    assert.equal(init.output, 'No public addresses file found\n');
    assert.equal((await script.run('takeip', 'eth1', '10.78.0.140', '24')).status, 0);
    assert.doesNotMatch(await addressesOn(node0, 'eth1'), /10\.78\.0\.140/);
  });
});
