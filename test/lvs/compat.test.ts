// Our 91.lvs against CTDB 4.17's shell script (Debian package `ctdb`) on the same namespaces,
// options and fake cluster: the same sequence of events (startup, takeover runs as node states
// change, shutdown) must leave the same addresses on lo, ARP settings, ipvsadm calls (recorded
// by a stub, as the kernel here may lack IPVS) and gratuitous ARP requests on every node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { FakeCluster, type FakeNode, type NodeFlag } from '../natgw/support/fake-cluster.js';

const SHELL_SCRIPT = '/usr/share/ctdb/events/legacy/91.lvs.script';
const FUNCTIONS = '/etc/ctdb/functions';

const can = canCreateNamespaces();
const skip = !can.ok
  ? can.reason
  : !existsSync(SHELL_SCRIPT) || !existsSync(FUNCTIONS)
    ? `CTDB's ${SHELL_SCRIPT} or ${FUNCTIONS} is not installed`
    : false;

const LVS_IP = '10.78.0.200';

const RECORDING_IPVSADM = `#!/bin/sh
echo "$*" >>"$FAKE_NODE_DIR/ipvsadm.log"
exit 0
`;

type Step = { readonly event: string; readonly states?: readonly NodeFlag[] };

const STEPS: readonly Step[] = [
  { event: 'startup' },
  { event: 'ipreallocated', states: ['ok', 'ok', 'ok'] },
  { event: 'ipreallocated', states: ['ok', 'unhealthy', 'ok'] },
  { event: 'ipreallocated', states: ['stopped', 'ok', 'disabled'] },
  { event: 'ipreallocated', states: ['ok', 'ok', 'ok'] },
  { event: 'shutdown' },
];

describe("91.lvs compared with CTDB's shell script", { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;

  function take(node: FakeNode, file: string): string {
    const path = join(node.dir, file);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    writeFileSync(path, '');
    return text;
  }

  /** What one node shows after a step; the logs are consumed. */
  async function observe(node: FakeNode): Promise<string> {
    const lo = await node.host.check(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo']);
    const sys = '/proc/sys/net/ipv4/conf/all';
    const arp = await node.host.check(['cat', `${sys}/arp_ignore`, `${sys}/arp_announce`]);
    const gratarp = take(node, 'calls')
      .split('\n')
      .filter((l) => l.startsWith('gratarp'))
      .join('\n');
    return [
      `lo: ${lo.replace(/valid_lft.*$/gm, '')}`,
      `arp: ${arp}`,
      `ipvsadm:\n${take(node, 'ipvsadm.log')}`,
      `gratarp: ${gratarp}`,
    ].join('\n');
  }

  async function play(run: (node: FakeNode, event: string) => Promise<string>): Promise<string[]> {
    const seen: string[] = [];
    for (const step of STEPS) {
      if (step.states !== undefined) cluster.setStates(step.states);
      for (const node of cluster.nodes) {
        const output = await run(node, step.event);
        seen.push(`${node.host.name} ${step.event} ${step.states?.join(',') ?? ''}\n${output}`);
        seen.push(await observe(node));
      }
    }
    return seen;
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 3, nodePublicAddresses: true, label: 'h8lvc' });
    cluster = new FakeCluster(lab, 'lvc');
    const stub = join(cluster.helperDir, 'ipvsadm');
    writeFileSync(stub, RECORDING_IPVSADM);
    chmodSync(stub, 0o755);
    cluster.extraEnv = { PATH: `${cluster.helperDir}:${process.env.PATH ?? ''}` };
    cluster.writeShared('lvs_nodes', lab.nodes.map((h) => `${h.privateAddress}\n`).join(''));
    cluster.writeAll(
      'events/legacy/91.lvs.options',
      `CTDB_LVS_NODES=${cluster.dir}/lvs_nodes\nCTDB_LVS_PUBLIC_IP=${LVS_IP}\nCTDB_LVS_PUBLIC_IFACE=eth1\n`,
    );
    for (const n of cluster.nodes) {
      symlinkSync(FUNCTIONS, join(n.base, 'functions'));
      symlinkSync(SHELL_SCRIPT, join(n.base, 'events/legacy/91.lvs.script'));
    }
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
  });

  test('the same events leave the same state on every node', async () => {
    const theirs = await play(async (node, event) => {
      const r = await node.host.run(['sh', join(node.base, 'events/legacy/91.lvs.script'), event], {
        env: node.env(),
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return (r.stdout + r.stderr).trim();
    });
    const ours = await play(async (node, event) => {
      const r = await node.run('91.lvs', event);
      assert.equal(r.status, 0, r.output);
      return r.output.trim();
    });
    assert.deepEqual(ours, theirs);
    // The sequence did exercise a leader change: node 1 led while node 0 was stopped.
    const at = theirs.findIndex((t) => t.startsWith('node1 ipreallocated stopped,ok,disabled'));
    assert.match(theirs[at + 1] ?? '', new RegExp(`-A -t ${LVS_IP} -p 1999999 -s lc`));
  });
});
