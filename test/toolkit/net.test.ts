// lib/net, lib/firewall and lib/services against a real kernel, inside a network namespace:
// addresses with broadcast, typed netlink errors, routes in numbered tables and their flush,
// policy rules, carrier, the interface check, iptables under CTDB's flock, listening checks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string; errno?: string; operation?: string; object?: string };
}

class Probe {
  private readonly lines: AsyncIterator<string>;
  constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }
  static async start(host: LabHost): Promise<Probe> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        host.ns,
        process.execPath,
        '--import',
        'tsx',
        resolve(import.meta.dirname, 'ns-probe.ts'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const p = new Probe(child);
    assert.match((await p.lines.next()).value as string, /ready/);
    return p;
  }
  async call(fn: string, ...args: unknown[]): Promise<Reply> {
    this.child.stdin!.write(`${JSON.stringify({ fn, args })}\n`);
    const r = await Promise.race([
      this.lines.next(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`${fn} timed out`)), 20_000).unref(),
      ),
    ]);
    return JSON.parse(r.value as string) as Reply;
  }
  async ok(fn: string, ...args: unknown[]): Promise<unknown> {
    const r = await this.call(fn, ...args);
    assert.ok(r.ok, `${fn} failed: ${JSON.stringify(r.error)}`);
    return r.value;
  }
  stop(): void {
    this.child.stdin!.end();
  }
}

describe('toolkit against the kernel', { skip }, () => {
  let lab: NetLab;
  let node: LabHost;
  let probe: Probe;
  let varDir: string;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, nodePublicAddresses: true, label: 'h2btk' });
    node = lab.nodes[0]!;
    probe = await Probe.start(node);
    varDir = mkdtempSync(join(tmpdir(), 'h2b-tk-'));
  });
  after(async () => {
    probe?.stop();
    await lab?.destroy();
    rmSync(varDir, { recursive: true, force: true });
  });

  test('addAddress sets the broadcast `brd +` would; a second add is a typed EEXIST', async () => {
    await probe.ok('addAddress', 'eth1', '10.78.0.200', 24);
    const shown = await node.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']);
    assert.match(shown, /inet 10\.78\.0\.200\/24 brd 10\.78\.0\.255 scope global secondary eth1/);
    const again = await probe.call('addAddress', 'eth1', '10.78.0.200', 24);
    assert.equal(again.ok, false);
    assert.equal(again.error?.name, 'NetlinkError');
    assert.equal(again.error?.errno, 'EEXIST');
    assert.equal(again.error?.operation, 'add address');
    assert.equal(again.error?.object, '10.78.0.200/24 dev eth1');
    const found = (await probe.ok('findAddress', '10.78.0.200')) as { iface: string; bits: number };
    assert.equal(found.iface, 'eth1');
    assert.equal(found.bits, 24);
    await probe.ok('deleteAddress', 'eth1', '10.78.0.200', 24);
    const gone = await probe.call('deleteAddress', 'eth1', '10.78.0.200', 24);
    assert.equal(gone.error?.errno, 'EADDRNOTAVAIL');
    assert.equal(await probe.ok('findAddress', '10.78.0.200'), null);
    const nodev = await probe.call('addAddress', 'nosuch0', '10.9.9.9', 24);
    assert.equal(nodev.error?.name, 'NoSuchInterfaceError');
  });

  test('deleting a primary address promotes the secondary when the script asks for it', async () => {
    await node.check(['ip', 'addr', 'add', '10.78.0.210/24', 'dev', 'eth1']);
    await probe.ok('deleteIpFromIface', 'eth1', '10.78.0.1', 24, {});
    const shown = await node.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']);
    assert.match(shown, /10\.78\.0\.210\/24/, 'the secondary survived its primary');
    await node.check(['ip', 'addr', 'add', '10.78.0.1/24', 'dev', 'eth1']);
  });

  test('routes in a numbered table: add, list, flush; a policy rule to reach it', async () => {
    await probe.ok('addRoute', {
      destination: 'default',
      gateway: '10.78.0.254',
      iface: 'eth1',
      table: 1234,
    });
    await probe.ok('addRoute', {
      destination: '192.168.7.0/24',
      gateway: '10.78.0.254',
      table: 1234,
    });
    const shown = await node.check(['ip', 'route', 'show', 'table', '1234']);
    assert.match(shown, /default via 10\.78\.0\.254 dev eth1/);
    assert.match(shown, /192\.168\.7\.0\/24 via 10\.78\.0\.254 dev eth1/);
    const listed = (await probe.ok('listRoutes', { table: 1234 })) as { destination: string }[];
    assert.deepEqual(listed.map((r) => r.destination).sort(), ['0.0.0.0/0', '192.168.7.0/24']);
    const dup = await probe.call('addRoute', {
      destination: '192.168.7.0/24',
      gateway: '10.78.0.254',
      table: 1234,
    });
    assert.equal(dup.error?.errno, 'EEXIST');

    await probe.ok('addRule', { from: '10.78.0.55', table: 1234, priority: 1000 });
    assert.match(
      await node.check(['ip', 'rule', 'show']),
      /1000:\s+from 10\.78\.0\.55 lookup 1234/,
    );
    const rules = (await probe.ok('listRules', 4)) as {
      from?: string;
      table: number;
      priority?: number;
    }[];
    assert.ok(
      rules.some((r) => r.from === '10.78.0.55/32' && r.table === 1234 && r.priority === 1000),
    );
    await probe.ok('deleteRule', { from: '10.78.0.55', table: 1234, priority: 1000 });
    assert.doesNotMatch(await node.check(['ip', 'rule', 'show']), /10\.78\.0\.55/);

    assert.equal(await probe.ok('flushTable', 1234), 2);
    assert.equal((await node.check(['ip', 'route', 'show', 'table', '1234'])).trim(), '');
  });

  test('carrier and the interface check follow the link', async () => {
    const up = (await probe.ok('getLink', 'eth1')) as { carrier: boolean; operstate: string };
    assert.equal(up.carrier, true);
    assert.equal(up.operstate, 'up');
    assert.deepEqual(await probe.ok('interfaceMonitor', 'eth1'), { up: true });
    await lab.setLink(node, 'public', false);
    try {
      const down = (await probe.ok('getLink', 'eth1')) as { carrier: boolean };
      assert.equal(down.carrier, false);
      assert.deepEqual(await probe.ok('interfaceMonitor', 'eth1'), {
        up: false,
        message: 'ERROR: No link on the public network interface eth1',
      });
    } finally {
      await lab.setLink(node, 'public', true);
    }
    assert.deepEqual(await probe.ok('interfaceMonitor', 'nosuch0'), {
      up: false,
      message: 'ERROR: Monitored interface nosuch0 does not exist',
    });
    assert.deepEqual(await probe.ok('interfaceMonitor', 'lo'), { up: true });
    // An admin-down interface is brought up once, as CTDB does before giving up.
    await node.check(['ip', 'link', 'set', 'eth1', 'down']);
    assert.deepEqual(await probe.ok('interfaceMonitor', 'eth1'), { up: true });
  });

  test('blockIp drops traffic to an address under the iptables flock; unblockIp restores it', async () => {
    const opts = { varDir };
    await probe.ok('blockIp', '10.78.0.1', 'eth1', opts);
    await probe.ok('blockIp', '10.78.0.1', 'eth1', opts); // idempotent: still one rule
    const rules = await node.check(['iptables', '-S', 'INPUT']);
    assert.equal(rules.match(/-A INPUT -d 10\.78\.0\.1\/32 -i eth1 -j DROP/g)?.length, 1, rules);
    const ping = await lab.client!.run(['ping', '-c', '1', '-W', '1', '10.78.0.1']);
    assert.notEqual(ping.code, 0, 'blocked address answered');
    assert.equal(await probe.ok('isBlockMarked', '10.78.0.1', 'eth1', varDir), true);
    await probe.ok('unblockIp', '10.78.0.1', 'eth1', opts);
    assert.doesNotMatch(await node.check(['iptables', '-S', 'INPUT']), /10\.78\.0\.1/);
    assert.equal(await probe.ok('isBlockMarked', '10.78.0.1', 'eth1', varDir), false);
    assert.equal((await lab.client!.run(['ping', '-c', '1', '-W', '2', '10.78.0.1'])).code, 0);
  });

  test("iptables waits for CTDB's flock held by a shell script", async () => {
    const holder = node.spawn([
      'flock',
      join(varDir, 'iptables.flock'),
      '-c',
      'echo held; sleep 1',
    ]);
    await holder.waitForOutput(/held/);
    const t0 = Date.now();
    await probe.ok(
      'ensureRule',
      { family: 'inet', chain: 'INPUT', rule: ['-s', '10.99.0.1', '-j', 'ACCEPT'] },
      { varDir },
    );
    assert.ok(Date.now() - t0 >= 500, 'ran while the lock was held');
    assert.equal(
      await probe.ok(
        'ensureRule',
        { family: 'inet', chain: 'INPUT', rule: ['-s', '10.99.0.1', '-j', 'ACCEPT'] },
        { varDir },
      ),
      false,
      'a present rule is not added twice',
    );
    assert.equal(
      await probe.ok(
        'removeRule',
        { family: 'inet', chain: 'INPUT', rule: ['-s', '10.99.0.1', '-j', 'ACCEPT'] },
        { varDir },
      ),
      1,
    );
    assert.equal(await probe.ok('ensureChain', 'inet', 'CTDB_TEST', { varDir }), true);
    assert.equal(await probe.ok('ensureChain', 'inet', 'CTDB_TEST', { varDir }), false);
    await probe.ok('removeChain', 'inet', 'CTDB_TEST', { varDir });
    assert.doesNotMatch(await node.check(['iptables', '-S']), /CTDB_TEST/);
  });

  test('listening checks see TCP ports and Unix sockets', async () => {
    const sock = join(varDir, 'svc.sock');
    const server = node.spawn([
      process.execPath,
      '-e',
      `const n=require('net');n.createServer().listen(7311,()=>n.createServer().listen('${sock}',()=>console.log('up')));`,
    ]);
    await server.waitForOutput(/up/);
    assert.equal(await probe.ok('isTcpPortListening', 7311), true);
    assert.equal(await probe.ok('isTcpPortListening', 7312), false);
    assert.equal(await probe.ok('firstTcpPortNotListening', [7311, 7312]), 7312);
    assert.equal(await probe.ok('isUnixSocketListening', sock), true);
    assert.equal(await probe.ok('isUnixSocketListening', `${sock}.nope`), false);
    server.kill();
  });

  test('ipvsadm wrappers manage a virtual service and its real servers', async (t) => {
    const probeIpvs = await node.run(['ipvsadm', '-Ln']);
    if (probeIpvs.code !== 0) {
      t.skip(`IPVS unavailable: ${probeIpvs.stderr.trim().split('\n')[0]}`);
      return;
    }
    await probe.ok('addVirtualService', 'tcp', '10.78.0.1:445', {
      scheduler: 'lc',
      persistent: 86400,
    });
    await probe.ok('addRealServer', 'tcp', '10.78.0.1:445', '10.78.0.2', { method: 'gatewaying' });
    const table = (await probe.ok('listIpvs')) as string;
    assert.match(table, /TCP\s+10\.78\.0\.1:445 lc persistent 86400/);
    assert.match(table, /-> 10\.78\.0\.2:445\s+Route/);
    await probe.ok('deleteRealServer', 'tcp', '10.78.0.1:445', '10.78.0.2');
    await probe.ok('deleteVirtualService', 'tcp', '10.78.0.1:445');
    assert.doesNotMatch((await probe.ok('listIpvs')) as string, /10\.78\.0\.1/);
  });

  test('run reports a failing command as CommandError with exit code and stderr', async () => {
    const r = await probe.call('run', 'sh', ['-c', 'echo oops >&2; exit 3']);
    assert.equal(r.error?.name, 'CommandError');
    assert.match(r.error?.message ?? '', /sh -c echo oops >&2; exit 3 exited with code 3: oops/);
    const missing = await probe.call('run', 'no-such-program-h2b', []);
    assert.equal(missing.error?.name, 'CommandError');
    assert.match(missing.error?.message ?? '', /could not be started: ENOENT/);
  });
});
