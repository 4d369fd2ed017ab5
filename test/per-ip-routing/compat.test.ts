// Our 13.per_ip_routing against CTDB 4.17's shell script (Debian package `ctdb`) in the same
// namespace with the same options and fake cluster: the same events must leave the same policy
// rules, routing tables and rt_tables entries, and print the same messages.
//
// CTDB's script names tables (`ctdb.<IP>`) and lets `ip` resolve them through
// $CTDB_SYS_ETCDIR/iproute2/rt_tables, so both run with CTDB_SYS_ETCDIR=/etc and the node gets a
// private /etc/iproute2 the standard way: `ip netns exec` binds /etc/netns/<ns>/iproute2 over it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import { FakeCluster, type FakeNode } from '../natgw/support/fake-cluster.js';

const SHELL_SCRIPT = '/usr/share/ctdb/events/legacy/13.per_ip_routing.script';
const FUNCTIONS = '/etc/ctdb/functions';

const can = canCreateNamespaces();
const skip = !can.ok
  ? can.reason
  : !existsSync(SHELL_SCRIPT) || !existsSync(FUNCTIONS)
    ? `CTDB's ${SHELL_SCRIPT} or ${FUNCTIONS} is not installed`
    : !existsSync('/etc/iproute2/rt_tables')
      ? '/etc/iproute2/rt_tables missing (needed as the base of a per-namespace copy)'
      : false;

const IP_A = '10.78.0.11';
const IP_B = '10.78.0.12';

type Step = readonly [event: string, ...words: string[]];

const STEPS: readonly { step: Step; hosted: readonly string[] }[] = [
  { step: ['startup'], hosted: [] },
  { step: ['takeip', 'eth1', IP_A, '24'], hosted: [IP_A] },
  { step: ['takeip', 'eth1', IP_B, '24'], hosted: [IP_A, IP_B] },
  { step: ['ipreallocated'], hosted: [IP_A, IP_B] },
  { step: ['releaseip', 'eth1', IP_A, '24'], hosted: [IP_B] },
  { step: ['reconfigure'], hosted: [IP_B] },
  { step: ['releaseip', 'eth1', IP_A, '24'], hosted: [IP_B] }, // already gone: warning
  { step: ['shutdown'], hosted: [] },
];

describe("13.per_ip_routing compared with CTDB's shell script", { skip }, () => {
  let lab: NetLab;
  let cluster: FakeCluster;
  let node: FakeNode;
  let netnsEtc: string;

  async function observe(): Promise<string> {
    const rules = await node.host.check(['ip', 'rule', 'show']);
    const routes = await node.host.check(['ip', 'route', 'show', 'table', 'all']);
    const tables = await node.host.check(['cat', '/etc/iproute2/rt_tables']);
    const ours = routes
      .split('\n')
      .filter((l) => / table ctdb\./.test(l))
      .join('\n');
    return `rules:\n${rules}\nroutes:\n${ours}\nrt_tables:\n${tables}`;
  }

  async function play(run: (step: Step) => Promise<string>): Promise<string[]> {
    const seen: string[] = [];
    for (const { step, hosted } of STEPS) {
      cluster.setIps(hosted.map((ip) => ({ ip, pnn: 0, iface: 'eth1' })));
      if (step[0] === 'takeip')
        await node.host.check(['ip', 'addr', 'add', `${step[2]}/24`, 'dev', 'eth1']);
      seen.push(`${step.join(' ')}\n${await run(step)}`);
      if (step[0] === 'releaseip')
        await node.host.run(['ip', 'addr', 'del', `${step[2]}/24`, 'dev', 'eth1']);
      seen.push(await observe());
    }
    return seen;
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 1, label: 'h8pic' });
    cluster = new FakeCluster(lab, 'pic');
    node = cluster.nodes[0]!;
    netnsEtc = join('/etc/netns', node.host.ns);
    cpSync('/etc/iproute2', join(netnsEtc, 'iproute2'), { recursive: true });
    cluster.extraEnv = { CTDB_SYS_ETCDIR: '/etc' };
    const conf = cluster.writeShared(
      'policy_routing',
      `${IP_A} 192.168.50.0/24 10.78.0.254\n${IP_A} 10.78.0.0/24\n${IP_B} 10.78.0.0/24\n`,
    );
    node.write(
      'events/legacy/13.per_ip_routing.options',
      `CTDB_PER_IP_ROUTING_CONF=${conf}\nCTDB_PER_IP_ROUTING_RULE_PREF=100\n` +
        'CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000\nCTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000\n',
    );
    symlinkSync(FUNCTIONS, join(node.base, 'functions'));
    symlinkSync(SHELL_SCRIPT, join(node.base, 'events/legacy/13.per_ip_routing.script'));
  });

  after(async () => {
    await cluster?.cleanup();
    await lab?.destroy();
    if (netnsEtc !== undefined) {
      rmSync(netnsEtc, { recursive: true, force: true });
      try {
        rmdirSync('/etc/netns'); // only when no other namespace has a folder there
      } catch {
        // not empty, or gone
      }
    }
  });

  test('the same events leave the same rules, tables and messages', async () => {
    const script = join(node.base, 'events/legacy/13.per_ip_routing.script');
    const theirs = await play(async (step) => {
      const r = await node.host.run(['sh', script, ...step], { env: node.env() });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return (r.stdout + r.stderr).trim();
    });
    const ours = await play(async ([event, ...words]) => {
      const r = await node.run('13.per_ip_routing', event, ...words);
      assert.equal(r.status, 0, r.output);
      return r.output.trim();
    });
    assert.deepEqual(ours, theirs);
    assert.ok(theirs.some((t) => t.includes(`from ${IP_A} lookup ctdb.${IP_A}`)));
  });
});
