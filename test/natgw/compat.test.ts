// Our 11.natgw against CTDB 4.17's shell script (Debian package `ctdb`) on the same namespace,
// options and fake cluster: each role (leader, follower) must leave the same addresses, routes
// and iptables rules and the same cfg_old state file, and each script must clean up after the
// other — so a node can switch from one to the other between events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { FakeCluster, type FakeNode } from './support/fake-cluster.js';

const SHELL_SCRIPT = '/usr/share/ctdb/events/legacy/11.natgw.script';
const FUNCTIONS = '/etc/ctdb/functions';

const can = canCreateNamespaces();
const skip = !can.ok
  ? can.reason
  : !existsSync(SHELL_SCRIPT) || !existsSync(FUNCTIONS)
    ? `CTDB's ${SHELL_SCRIPT} or ${FUNCTIONS} is not installed`
    : false;

const NATGW_IP = '10.78.0.100';

/** The kernel state 11.natgw manages on a node, in a comparable form. */
async function snapshot(node: FakeNode): Promise<string> {
  const parts = await Promise.all([
    node.host.check(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1']),
    node.host.check(['ip', '-4', 'route', 'show']),
    node.host.check(['iptables', '-S']),
    node.host.check(['iptables', '-t', 'nat', '-S']),
    node.host.check(['cat', '/proc/sys/net/ipv4/ip_forward']),
  ]);
  return parts.map((p) => p.replace(/valid_lft.*$/gm, '')).join('\n--\n');
}

/** The parts removal restores (ip_forward stays on, in both scripts). */
function managed(snap: string): string[] {
  return snap.split('\n--\n').slice(0, 4);
}

describe("11.natgw compared with CTDB's shell script", { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;

  /** Runs CTDB's script in the node's namespace with the same environment as ours. */
  async function runShell(
    node: FakeNode,
    event: string,
  ): Promise<{ code: number | null; out: string }> {
    const r = await node.host.run(['sh', join(node.base, 'events/legacy/11.natgw.script'), event], {
      env: node.env(),
    });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  function cfgOld(node: FakeNode): string {
    return readFileSync(join(node.varDir, 'failover/natgw/cfg_old'), 'utf8');
  }

  function forgetState(node: FakeNode): void {
    rmSync(join(node.varDir, 'failover'), { recursive: true, force: true });
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'h8ngc' });
    cluster = new FakeCluster(lab, 'ngc');
    cluster.writeShared('natgw_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
    cluster.writeAll(
      'events/legacy/11.natgw.options',
      `CTDB_NATGW_NODES=${cluster.dir}/natgw_nodes\nCTDB_NATGW_PUBLIC_IP=${NATGW_IP}/24\n` +
        'CTDB_NATGW_PUBLIC_IFACE=eth1\nCTDB_NATGW_PRIVATE_NETWORK=10.77.0.0/24\n' +
        'CTDB_NATGW_STATIC_ROUTES="0.0.0.0/0 192.168.99.0/24@10.78.0.254"\n',
    );
    for (const n of cluster.nodes) {
      symlinkSync(FUNCTIONS, join(n.base, 'functions'));
      symlinkSync(SHELL_SCRIPT, join(n.base, 'events/legacy/11.natgw.script'));
    }
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
  });

  for (const [role, index] of [
    ['leader', 0],
    ['follower', 1],
  ] as const) {
    test(`as the ${role}: same kernel state and state file`, async () => {
      const node = cluster.nodes[index]!;
      const before = await snapshot(node);

      const shell = await runShell(node, 'ipreallocated');
      assert.equal(shell.code, 0, shell.out);
      const theirs = await snapshot(node);
      const theirCfg = cfgOld(node);
      assert.notEqual(theirs, before, 'the shell script changed nothing');

      // Ours clears what the shell script set up (it reads the shell script's cfg_old).
      let r = await node.run('11.natgw', 'removenatgw');
      assert.equal(r.status, 0, r.output);
      assert.deepEqual(managed(await snapshot(node)), managed(before));
      forgetState(node);

      r = await node.run('11.natgw', 'ipreallocated');
      assert.equal(r.status, 0, r.output);
      assert.equal(await snapshot(node), theirs);
      assert.equal(cfgOld(node), theirCfg);

      // And the shell script clears what ours set up.
      const cleared = await runShell(node, 'removenatgw');
      assert.equal(cleared.code, 0, cleared.out);
      assert.deepEqual(managed(await snapshot(node)), managed(before));
      forgetState(node);
    });
  }
});
