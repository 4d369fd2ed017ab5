// The admin's path: 11.natgw ships disabled; `ctdb-event script enable legacy 11.natgw` links
// it into the etc folder, and the admin pseudo-events updatenatgw / removenatgw run through a
// real ctdb-eventd (ours, inside a node namespace) apply and remove the NAT gateway there.
// Cluster state comes from the fake `ctdb` of support/fake-cluster.ts (a one-node group, so
// this node is the leader).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canCreateNamespaces, NetLab, type LabProcess } from '../support/netlab.js';
import { FakeCluster, ROOT, type FakeNode } from './support/fake-cluster.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;
const TSX = import.meta.resolve('tsx');
const NATGW_IP = '10.78.0.100';

interface Ran {
  code: number | null;
  out: string;
}

function ctdbEvent(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', TSX, join(ROOT, 'tools/ctdb-event.ts'), ...args],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('enabling 11.natgw and running its admin events through ctdb-eventd', { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;
  let node: FakeNode;
  let daemon: LabProcess;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, label: 'h8adm' });
    cluster = new FakeCluster(lab, 'adm');
    node = cluster.nodes[0]!;
    const share = join(node.base, 'share/events/legacy');
    const bin = join(node.dir, 'bin');
    for (const d of [share, join(node.base, 'run'), bin]) mkdirSync(d, { recursive: true });
    writeFileSync(join(node.base, 'ctdb.conf'), '');
    // The data folder ships the script; the etc folder (events/legacy) starts empty: disabled.
    symlinkSync(join(ROOT, 'events/legacy/11.natgw.ts'), join(share, '11.natgw.ts'));
    const launcher = join(bin, 'ctdb-eventscript');
    writeFileSync(
      launcher,
      `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${join(ROOT, 'tools/ctdb-eventscript.ts')}" "$@"\n`,
    );
    chmodSync(launcher, 0o755);
    env = {
      ...node.env(),
      CTDB_TEST_MODE: 'yes',
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    };
    cluster.writeShared('natgw_nodes', `${node.host.privateAddress}\n`);
    node.write(
      'events/legacy/11.natgw.options',
      `CTDB_NATGW_NODES=${cluster.dir}/natgw_nodes\nCTDB_NATGW_PUBLIC_IP=${NATGW_IP}/24\n` +
        'CTDB_NATGW_PUBLIC_IFACE=eth1\nCTDB_NATGW_PRIVATE_NETWORK=10.77.0.0/24\n',
    );
    daemon = node.host.spawn(
      [process.execPath, '--import', TSX, join(ROOT, 'tools/ctdb-eventd.ts')],
      { env: { ...env, CTDB_INTERACTIVE: 'yes' }, cwd: node.base },
    );
    const socket = join(node.base, 'run/eventd.socket');
    for (let i = 0; i < 300 && !existsSync(socket); i++) {
      if (!daemon.running) break;
      await sleep(100);
    }
    assert.ok(existsSync(socket), `ctdb-eventd did not start: ${daemon.output()}`);
  });

  after(async () => {
    daemon?.kill();
    await cluster?.cleanup();
    await lab?.destroy();
  });

  test('shipped disabled, enabled with script enable', async () => {
    let r = await ctdbEvent(env, 'script', 'list', 'legacy');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ {2}11\.natgw$/m);
    assert.doesNotMatch(r.out, /^\* 11\.natgw/m);
    r = await ctdbEvent(env, 'script', 'enable', 'legacy', '11.natgw');
    assert.equal(r.code, 0, r.out);
    r = await ctdbEvent(env, 'script', 'list', 'legacy');
    assert.match(r.out, /^\* 11\.natgw$/m);
  });

  test('updatenatgw applies the gateway; removenatgw removes it', async () => {
    let r = await ctdbEvent(env, 'run', '60', 'legacy', 'updatenatgw');
    assert.equal(r.code, 0, r.out);
    assert.match(
      await node.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']),
      new RegExp(NATGW_IP),
    );
    assert.match(
      await node.host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']),
      /-s 10\.77\.0\.0\/24 ! -d 10\.77\.0\.0\/24 -j MASQUERADE/,
    );
    r = await ctdbEvent(env, 'run', '60', 'legacy', 'removenatgw');
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(
      await node.host.check(['ip', '-4', 'addr', 'show', 'dev', 'eth1']),
      /inet /,
    );
    assert.doesNotMatch(
      await node.host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING']),
      /MASQUERADE/,
    );
  });

  test('a failing admin event is reported with the script output', async () => {
    node.write('events/legacy/11.natgw.options', 'CTDB_NATGW_NODES=/nonexistent\n');
    const r = await ctdbEvent(env, 'run', '60', 'legacy', 'updatenatgw');
    assert.notEqual(r.code, 0);
    const s = await ctdbEvent(env, 'status', 'legacy', 'updatenatgw');
    assert.match(s.out, /11\.natgw\s+ERROR/);
    assert.match(s.out, /error: CTDB_NATGW_NODES=\/nonexistent unreadable/);
  });
});
