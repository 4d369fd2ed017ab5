// Proves the namespace harness: hosts reach each other over both bridges, processes run inside
// namespaces with their output captured, and nothing is left behind afterwards — even when the
// process that built the lab is killed with SIGKILL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { canCreateNamespaces, namespacesWithPrefix, NetLab } from '../support/netlab.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

describe('network namespace lab', { skip }, () => {
  let lab: NetLab;
  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'hrn' });
  });
  after(async () => {
    await lab.destroy();
  });

  test('two nodes ping each other over the private bridge', async () => {
    const [a, b] = lab.nodes;
    const r = await a!.run(['ping', '-c', '1', '-W', '2', b!.privateAddress!]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 received/);
  });

  test('a TCP server in one namespace answers a client in another', async () => {
    const server = lab.nodes[0]!.spawn([
      process.execPath,
      '-e',
      `require('net').createServer((s) => { s.end('hello from ' + require('os').hostname() + '\\n'); })
         .listen(7777, '${lab.nodes[0]!.privateAddress}', () => console.log('listening'));`,
    ]);
    await server.waitForOutput(/listening/);
    const client = await lab.nodes[1]!.run([
      process.execPath,
      '-e',
      `const s = require('net').connect(7777, '${lab.nodes[0]!.privateAddress}'); s.pipe(process.stdout);`,
    ]);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /^hello from /);
    server.kill();
    await server.exited;
  });

  test('the client namespace reaches a node over the public bridge', async () => {
    const node = lab.nodes[1]!;
    await node.check(['ip', 'addr', 'add', '10.78.0.50/24', 'dev', node.publicIface]);
    const r = await lab.client!.run(['ping', '-c', '1', '-W', '2', '10.78.0.50']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('taking a link down from the bridge side drops the carrier inside the node', async () => {
    const node = lab.nodes[0]!;
    await lab.setLink(node, 'public', false);
    const down = await node.check(['cat', `/sys/class/net/${node.publicIface}/carrier`]);
    assert.equal(down.trim(), '0');
    await lab.setLink(node, 'public', true);
    const up = await node.check(['cat', `/sys/class/net/${node.publicIface}/carrier`]);
    assert.equal(up.trim(), '1');
  });
});

describe('lab teardown', { skip }, () => {
  test('destroy removes every namespace and kills processes by PID', async () => {
    const lab = await NetLab.create({ nodes: 2, label: 'hrd' });
    const names = lab.namespaceNames();
    assert.equal(names.length, 4); // hub, two nodes, client
    const sleeper = lab.nodes[0]!.spawn(['sleep', '600']);
    await lab.destroy();
    await sleeper.exited;
    assert.equal(sleeper.running, false);
    assert.deepEqual(namespacesWithPrefix(lab.id), []);
  });

  test('a lab whose owner is killed with SIGKILL is reaped at once', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./test/support/netlab.ts').then(async ({ NetLab }) => {
           const lab = await NetLab.create({ nodes: 1, label: 'hrk' });
           lab.nodes[0].spawn(['sleep', '600']);
           console.log('LAB ' + lab.id);
           setInterval(() => {}, 1000);
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!/LAB (\S+)/.test(out) && Date.now() < deadline) await sleep(50);
    const id = /LAB (\S+)/.exec(out)?.[1];
    assert.ok(id, `lab did not start: ${out}`);
    assert.equal(namespacesWithPrefix(id).length, 3);
    child.kill('SIGKILL');
    let left = namespacesWithPrefix(id);
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await sleep(50);
      left = namespacesWithPrefix(id);
    }
    assert.deepEqual(left, []);
  });
});
