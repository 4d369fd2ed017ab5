// holdsAddress (lib/net/local-address.ts, the rawnet addon's rtnetlink dump): what ctdbd asks
// every second about its public addresses. Checked inside a namespace of our own, against
// addresses added and removed there with `ip`, for both families and a secondary address.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../../runtime/paths/index.js';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';

const can = canCreateNamespaces();
const TSX = join(projectRoot(), 'node_modules', 'tsx', 'dist', 'loader.mjs');
const MODULE = join(projectRoot(), 'lib', 'net', 'local-address.ts');

/** holdsAddress(ip) for each ip, evaluated by a process inside `host`'s namespace. */
async function holds(host: LabHost, ips: readonly string[]): Promise<boolean[]> {
  const code = `const { holdsAddress } = await import(${JSON.stringify(MODULE)});
console.log(JSON.stringify(${JSON.stringify(ips)}.map((ip) => holdsAddress(ip))));`;
  const out = await host.check([
    process.execPath,
    '--import',
    `file://${TSX}`,
    '--input-type=module',
    '-e',
    code,
  ]);
  return JSON.parse(out) as boolean[];
}

describe('holdsAddress', { skip: can.ok ? false : can.reason }, () => {
  let lab: NetLab;
  let node: LabHost;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, client: false, label: 'hasaddr' });
    node = lab.nodes[0]!;
  });

  after(async () => {
    await lab?.destroy();
  });

  test('sees addresses as they are added and removed, IPv4 and IPv6', async () => {
    const ips = ['10.99.0.7', '10.99.0.8', 'fd99::7', node.privateAddress!];
    assert.deepEqual(await holds(node, ips), [false, false, false, true]);
    await node.check(['ip', 'addr', 'add', '10.99.0.7/24', 'dev', 'eth0']);
    // A second address in the same subnet is a secondary one: still held.
    await node.check(['ip', 'addr', 'add', '10.99.0.8/24', 'dev', 'eth0']);
    await node.check(['ip', 'addr', 'add', 'fd99::7/64', 'dev', 'eth0', 'nodad']);
    assert.deepEqual(await holds(node, ips), [true, true, true, true]);
    await node.check(['ip', 'addr', 'del', '10.99.0.7/24', 'dev', 'eth0']);
    await node.check(['ip', 'addr', 'del', 'fd99::7/64', 'dev', 'eth0']);
    const after = await holds(node, ips);
    // Deleting a primary address may delete its secondaries unless promote_secondaries is set.
    assert.equal(after[0], false);
    assert.equal(after[2], false);
    assert.equal(after[3], true);
  });

  test('text that is not an address is refused', async () => {
    await assert.rejects(holds(node, ['10.1.2']), /is not an IP address/);
  });
});
