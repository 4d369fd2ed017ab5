// 13.per_ip_routing on our ctdbd, across real failovers: three nodes in namespaces, one public
// address each, 13.per_ip_routing enabled with `ctdb enablescript` and a policy-routing file.
// Behind the client sits a "far" network (192.168.50.0/24) that no node's main table knows:
// only an address whose table has a gateway line answers a client there, so a connect from
// the far address shows which table the reply used. Each address gets its rule and table on
// the node holding it and nowhere else; when a node crashes they follow its address to the new
// holder; when it comes back, the address handed back to it takes its table along and leaves
// none behind.
//
// Each node keeps its rt_tables under its own CTDB_BASE (CTDB_SYS_ETCDIR=/etc/ctdb/sys inside
// the node's mount namespace), so the host's /etc/iproute2/rt_tables is never touched.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultCluster, SERVICE_PORT } from '../support/fault-cluster.js';
import { DAEMON, skipReason } from './support/faults.js';
import {
  connectOnce,
  createClusterInTurn,
  enableScriptEverywhere,
  writeOnEveryNode,
  writeShared,
} from './support/scripts-net.js';

const skip = skipReason('file');

const CLIENT = '10.78.0.254';
const FAR_CLIENT = '192.168.50.1';
const PREF = 100;
/** Addresses with a gateway line for the far network; the last one has only its link line. */
const WITH_GATEWAY = ['10.78.0.101', '10.78.0.102'];
const LINK_ONLY = '10.78.0.103';
const HOST_RT_TABLES = '/etc/iproute2/rt_tables';

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe(`13.per_ip_routing on a ${DAEMON} cluster across failovers`, { skip }, () => {
  let c: FaultCluster;
  const hostRtTables = readOrEmpty(HOST_RT_TABLES);
  const savedSysEtc = process.env.CTDB_SYS_ETCDIR;

  before(async () => {
    process.env.CTDB_SYS_ETCDIR = '/etc/ctdb/sys';
    c = await createClusterInTurn({
      daemon: DAEMON,
      label: 'h5pir',
      publicAddresses: 1,
      tunables: {
        KeepaliveInterval: 1,
        KeepaliveLimit: 3,
        MonitorInterval: 2,
        RerecoveryTimeout: 2,
      },
      readyTimeoutMs: 60_000,
    });
    await c.lab.client!.check(['ip', 'addr', 'add', `${FAR_CLIENT}/32`, 'dev', 'lo']);
    for (const n of c.nodes) {
      mkdirSync(join(n.base, 'sys', 'iproute2'), { recursive: true });
      writeFileSync(join(n.base, 'sys', 'iproute2', 'rt_tables'), hostRtTables);
    }
    const policy = writeShared(
      c,
      'policy_routing',
      [
        ...WITH_GATEWAY.flatMap((ip) => [`${ip} 10.78.0.0/24`, `${ip} 192.168.50.0/24 ${CLIENT}`]),
        `${LINK_ONLY} 10.78.0.0/24`,
        '',
      ].join('\n'),
    );
    writeOnEveryNode(
      c,
      'events/legacy/13.per_ip_routing.options',
      `CTDB_PER_IP_ROUTING_CONF=${policy}\nCTDB_PER_IP_ROUTING_RULE_PREF=${PREF}\n` +
        'CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000\nCTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000\n',
    );
    await enableScriptEverywhere(c, '13.per_ip_routing');
    // A takeover run: its ipreallocated gives the addresses already held their tables.
    await c.ctdbOk(0, ['ipreallocate']);
  });

  after(async () => {
    await c?.destroy();
    if (savedSysEtc === undefined) delete process.env.CTDB_SYS_ETCDIR;
    else process.env.CTDB_SYS_ETCDIR = savedSysEtc;
  });

  /** The table id node pnn's rt_tables gives `ctdb.<ip>`, if any. */
  function tableId(pnn: number, ip: string): number | undefined {
    const text = readOrEmpty(join(c.node(pnn).base, 'sys', 'iproute2', 'rt_tables'));
    const m = new RegExp(`^(\\d+)\\s+ctdb\\.${ip.replace(/\./g, '\\.')}$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  }

  /** Node pnn's policy rule for `ip`: the table it looks up, or undefined. */
  async function ruleTable(pnn: number, ip: string): Promise<string | undefined> {
    const rules = await c.node(pnn).host.check(['ip', '-4', 'rule', 'show']);
    const m = new RegExp(`^${PREF}:\\s+from ${ip.replace(/\./g, '\\.')} lookup (\\S+)`, 'm').exec(
      rules,
    );
    return m?.[1];
  }

  async function tableRoutes(pnn: number, id: number): Promise<string> {
    const r = await c.node(pnn).host.run(['ip', '-4', 'route', 'show', 'table', String(id)]);
    return r.code === 0 ? r.stdout : '';
  }

  /** Why node pnn lacks `ip`'s rule or the routes of the policy file in its table, if it does. */
  async function routingProblem(pnn: number, ip: string): Promise<string | undefined> {
    const id = tableId(pnn, ip);
    if (id === undefined) return `no ctdb.${ip} in node ${pnn}'s rt_tables`;
    const rule = await ruleTable(pnn, ip);
    if (rule !== String(id)) return `node ${pnn}'s rule for ${ip} looks up ${rule}, not ${id}`;
    const routes = await tableRoutes(pnn, id);
    const link = /^10\.78\.0\.0\/24 dev eth1 /m;
    const far = /^192\.168\.50\.0\/24 via 10\.78\.0\.254 dev eth1/m;
    if (!link.test(routes) || far.test(routes) !== WITH_GATEWAY.includes(ip))
      return `node ${pnn}'s table ${id} for ${ip}:\n${routes}`;
    return undefined;
  }

  /** Node pnn has neither a rule for `ip` nor routes in a table for it. */
  async function clearOn(pnn: number, ip: string): Promise<boolean> {
    if ((await ruleTable(pnn, ip)) !== undefined) return false;
    const id = tableId(pnn, ip);
    return id === undefined || (await tableRoutes(pnn, id)).trim() === '';
  }

  /** Every address routed on its owner (from `ctdb ip`) and clear on the other live nodes. */
  async function routingFollowsOwners(live: readonly number[]): Promise<Map<string, number>> {
    const owners = await c.ipOwners(live[0]);
    for (const ip of c.publicAddresses) {
      const owner = owners.get(ip);
      assert.ok(owner !== undefined && live.includes(owner), `${ip} has no live owner`);
      const problem = await routingProblem(owner, ip);
      assert.equal(problem, undefined, `${ip} on its owner, node ${owner}: ${problem}`);
      for (const p of live)
        if (p !== owner) assert.ok(await clearOn(p, ip), `${ip}: rule/table left on node ${p}`);
    }
    return owners;
  }

  /** Waits until routingFollowsOwners holds; returns the owners. */
  async function waitRoutingFollows(
    live: readonly number[],
    timeoutMs: number,
    what: string,
  ): Promise<Map<string, number>> {
    let owners = new Map<string, number>();
    let why = 'addresses not hosted once';
    try {
      await c.waitFor(
        async () => {
          if (!(await c.eachAddressHostedOnce(live))) return false;
          try {
            owners = await routingFollowsOwners(live);
            return true;
          } catch (err) {
            why = err instanceof Error ? err.message : String(err);
            return false;
          }
        },
        timeoutMs,
        what,
      );
    } catch (err) {
      throw new Error(`${what}: ${why}`, { cause: err });
    }
    return owners;
  }

  /** Who answers `ip` on the service port from the client (or its far address), if anyone. */
  function ask(ip: string, from?: string): Promise<string | undefined> {
    return connectOnce(c.client.host, ip, SERVICE_PORT, {
      ...(from === undefined ? {} : { localAddress: from }),
    });
  }

  /**
   * Each address answers the client from its owner; from the far network only those with a
   * gateway line answer. Retried for a few seconds: the client may still hold a stale ARP entry.
   */
  async function clientSeesPaths(owners: Map<string, number>): Promise<void> {
    let seen = '';
    try {
      await c.waitFor(
        async () => {
          const near = await Promise.all(c.publicAddresses.map((ip) => ask(ip)));
          const far = await Promise.all(WITH_GATEWAY.map((ip) => ask(ip, FAR_CLIENT)));
          seen = `near ${JSON.stringify(near)}, far ${JSON.stringify(far)}`;
          return (
            c.publicAddresses.every((ip, i) => near[i] === String(owners.get(ip))) &&
            WITH_GATEWAY.every((ip, i) => far[i] === String(owners.get(ip)))
          );
        },
        10_000,
        'the client reaching every address',
      );
    } catch (err) {
      const neigh = await c.client.host.check(['ip', 'neigh', 'show']);
      throw new Error(`owners ${JSON.stringify([...owners])}, ${seen}\n${neigh}`, { cause: err });
    }
    assert.equal(
      await ask(LINK_ONLY, FAR_CLIENT),
      undefined,
      `${LINK_ONLY} answered ${FAR_CLIENT}`,
    );
  }

  const all = [0, 1, 2];
  let victim: number;

  test('each public address has its rule and table on its node only', async () => {
    const owners = await waitRoutingFollows(all, 30_000, 'a rule and table for every address');
    await clientSeesPaths(owners);
    victim = owners.get(WITH_GATEWAY[0]!)!;
  });

  test('a node crashes: the tables follow its address to the new holder', async () => {
    await c.crash(victim);
    const live = all.filter((p) => p !== victim);
    const t0 = performance.now();
    const owners = await waitRoutingFollows(live, 45_000, `node ${victim}'s address routed anew`);
    console.log(
      `# per-ip routing: node ${victim} crashed → its address routed on node ${owners.get(WITH_GATEWAY[0]!)} in ${Math.round(performance.now() - t0)} ms`,
    );
    await clientSeesPaths(owners);
  });

  test('the node returns: the address handed back takes its table along', async () => {
    const before = await c.ipOwners(all.find((p) => p !== victim));
    c.start(victim);
    await c.waitSettled(60_000);
    const owners = await waitRoutingFollows(all, 30_000, 'routing after the node returned');
    const moved = [...owners].filter(([ip, p]) => p === victim && before.get(ip) !== victim);
    assert.ok(moved.length > 0, `node ${victim} got no address back`);
    for (const [ip] of moved) assert.ok(await clearOn(before.get(ip)!, ip));
    await clientSeesPaths(owners);
  });

  test("the host's own rt_tables is untouched", () => {
    assert.equal(readOrEmpty(HOST_RT_TABLES), hostRtTables);
  });
});
