// 11.routing in a network namespace: the routes of $CTDB_BASE/static-routes are installed
// after a takeover run, and only those of the interfaces concerned on updateip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';
import { HookServer, ScriptSandbox } from './support/script-host.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

describe('11.routing in a network namespace', { skip }, () => {
  let lab: NetLab;
  let node: LabHost;
  let box: ScriptSandbox;
  let script: HookServer;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, nodePublicAddresses: true, label: 'h2brt' });
    node = lab.nodes[0]!;
    box = new ScriptSandbox('rt');
    script = await HookServer.start('11.routing', box.env(), node);
  });

  after(async () => {
    await script.stop();
    await lab?.destroy();
    box?.cleanup();
  });

  test('without a static-routes file nothing happens', async () => {
    const r = await script.run('ipreallocated');
    assert.equal(r.status, 0);
    assert.equal(r.output, '');
  });

  test('ipreallocated installs every static route; bad lines are skipped with a warning', async () => {
    box.write(
      'static-routes',
      '# iface net gateway\neth1 192.168.50.0/24 10.78.0.254\neth0 192.168.60.0/24 10.77.0.254\neth1 bogus 10.78.0.254\n',
    );
    const r = await script.run('ipreallocated');
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /static-routes:4: 'bogus' is not NET\/MASK/);
    const routes = await node.check(['ip', 'route', 'show']);
    assert.match(routes, /192\.168\.50\.0\/24 via 10\.78\.0\.254 dev eth1/);
    assert.match(routes, /192\.168\.60\.0\/24 via 10\.77\.0\.254 dev eth0/);
    // Running again (routes present) still succeeds.
    assert.equal((await script.run('ipreallocated')).status, 0);
  });

  test('updateip reinstalls only the routes of the old and new interfaces', async () => {
    await node.check(['ip', 'route', 'del', '192.168.50.0/24']);
    await node.check(['ip', 'route', 'del', '192.168.60.0/24']);
    const r = await script.run('updateip', 'eth1', 'eth1', '10.78.0.9', '24');
    assert.equal(r.status, 0, r.output);
    const routes = await node.check(['ip', 'route', 'show']);
    assert.match(routes, /192\.168\.50\.0\/24 via 10\.78\.0\.254 dev eth1/);
    assert.doesNotMatch(routes, /192\.168\.60\.0/);
  });
});
