// Public-address failover as clients feel it, on a 3-node cluster in namespaces with 6 public
// addresses (2 per node) on eth1 and a client namespace holding one open TCP connection to every
// address (registered with the hosting node as `ctdb addtickle` does, as smbd would). For each fault
// — kill -9 of a node, kill -9 of the leader, `ctdb disable`, `ctdb stop`, `ctdb ban`, the public
// link down, SIGSTOP — we check that every address answers again from exactly one live node
// (one node's eth1 carries it, one MAC answers ARP), that the client's connections to the
// moved addresses are reset (RST from killtcp or the new owner's tickle ACK) rather than left
// hanging, that connections to addresses that did not move stay up, and that the node gets its
// share back when it returns.
//
// Tunables (smaller than the defaults so the whole file runs in about two minutes):
// KeepaliveInterval=1 and KeepaliveLimit=3 (a frozen node is declared dead after 3-4 s instead
// of 25-30 s), TickleUpdateInterval=1 (the hosting node shares its connection list each second
// instead of every 20 s), MonitorInterval=2 (10.interface sees a dead link within 2 s) and
// RerecoveryTimeout=2 (a fault right after a recovery is handled after 2 s, not 10 s).
//
// A node "killed -9" is a crashed machine: its ctdbd is killed and its addresses are removed
// from its eth1 (as Debian's ctdb-crash-cleanup.sh or a reboot does); a live kernel would keep
// answering ARP for them. A SIGSTOPped node's kernel does keep them until it runs again, so for
// that fault the "one holder" check covers the live nodes, and the frozen node must drop them
// after SIGCONT.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FaultCluster,
  SERVICE_PORT,
  sockAddrOf,
  type ClientConnection,
} from '../support/fault-cluster.js';
import { figure, others, skipReason, waitOneLeader, suiteCluster } from './support/faults.js';

const skip = skipReason('file', true);

/** How long a moved connection may stay up after its address answers from the new node. */
const RESET_GRACE_MS = 5000;

interface Fault {
  name: string;
  /** The victim: the leader or some other node. */
  victim: 'leader' | 'other';
  /** Whether the victim's kernel keeps its addresses during the fault (SIGSTOP). */
  frozen?: boolean;
  inflict(c: FaultCluster, pnn: number): Promise<void>;
  restore(c: FaultCluster, pnn: number): Promise<void>;
}

/** A synchronous step as a promise (a throw becomes a rejection). */
function attempt(step: () => void): Promise<void> {
  return new Promise((resolve) => {
    step();
    resolve();
  });
}

const FAULTS: Fault[] = [
  {
    name: 'kill -9 of a node',
    victim: 'other',
    inflict: (c, p) => c.crash(p),
    restore: (c, p) => attempt(() => c.start(p)),
  },
  {
    name: 'kill -9 of the leader',
    victim: 'leader',
    inflict: (c, p) => c.crash(p),
    restore: (c, p) => attempt(() => c.start(p)),
  },
  {
    name: 'ctdb disable',
    victim: 'other',
    inflict: async (c, p) => {
      await c.ctdbOk(p, ['disable'], 60_000);
    },
    restore: async (c, p) => {
      await c.ctdbOk(p, ['enable'], 60_000);
    },
  },
  {
    name: 'ctdb stop',
    victim: 'other',
    inflict: async (c, p) => {
      await c.ctdbOk(p, ['stop'], 60_000);
    },
    restore: async (c, p) => {
      await c.ctdbOk(p, ['continue'], 60_000);
    },
  },
  {
    name: 'ctdb ban',
    victim: 'other',
    inflict: async (c, p) => {
      await c.ctdbOk(p, ['ban', '300'], 60_000);
    },
    restore: async (c, p) => {
      await c.ctdbOk(p, ['unban'], 60_000);
    },
  },
  {
    name: 'public link down',
    victim: 'other',
    inflict: (c, p) => c.linkDown(p, 'public'),
    restore: (c, p) => c.linkUp(p, 'public'),
  },
  {
    name: 'SIGSTOP',
    victim: 'other',
    frozen: true,
    inflict: (c, p) => attempt(() => c.sigstop(p)),
    restore: (c, p) => attempt(() => c.sigcont(p)),
  },
];

describe('public-address failover', { skip, timeout: 600_000 }, () => {
  let c: FaultCluster;

  suiteCluster(
    {
      label: 'fip',
      tunables: {
        KeepaliveInterval: 1,
        KeepaliveLimit: 3,
        TickleUpdateInterval: 1,
        MonitorInterval: 2,
        RerecoveryTimeout: 2,
      },
    },
    (cluster) => (c = cluster),
  );

  /** The addresses on each node's eth1, checked to be one holder each among `live`. */
  async function holders(live: readonly number[]): Promise<Map<string, number>> {
    const held = await c.kernelHolders();
    const owner = new Map<string, number>();
    for (const [addr, pnns] of held) {
      const among = pnns.filter((p) => live.includes(p));
      if (among.length === 1) owner.set(addr, among[0]!);
    }
    return owner;
  }

  /** True when every address is on exactly one live node, answers TCP from it and ARP from one MAC. */
  async function servedOnce(live: readonly number[], frozen?: number): Promise<boolean> {
    const owner = await holders(live);
    if (owner.size !== c.publicAddresses.length) return false;
    if (frozen === undefined && !(await c.eachAddressHostedOnce(live))) return false;
    for (const addr of c.publicAddresses) {
      if ((await c.client.answer(addr, 1000)) !== owner.get(addr)) return false;
    }
    if (frozen !== undefined) return true;
    for (const addr of c.publicAddresses.filter((a) => !a.includes(':'))) {
      if ((await c.client.arpMacs(addr, 1)).length !== 1) return false;
    }
    return true;
  }

  /** Opens one connection per address and registers each with its hosting node. */
  async function openAll(): Promise<ClientConnection[]> {
    const conns: ClientConnection[] = [];
    for (const addr of c.publicAddresses) conns.push(await c.client.open(addr));
    for (const conn of conns) {
      const client = conn.address.includes(':') ? c.client.address6 : c.client.address;
      await c.addTickle(
        conn.pnn,
        sockAddrOf(client, conn.localPort),
        sockAddrOf(conn.address, SERVICE_PORT),
      );
    }
    // Every node learns the connections before the fault (TickleUpdateInterval=1).
    await c.waitFor(
      async () => {
        for (const n of c.nodes) {
          for (const conn of conns) {
            const known = await c.tickles(n.pnn, conn.address);
            if (!known.some((k) => k.src.port === conn.localPort)) return false;
          }
        }
        return true;
      },
      20_000,
      'every node knows every client connection',
    );
    return conns;
  }

  for (const fault of FAULTS) {
    test(`${fault.name}: addresses move once, connections reset, share returns`, async () => {
      await c.waitSettled(60_000);
      const leader = (await waitOneLeader(c, others(c), 20_000, 'settled leader')).leader;
      const victim =
        fault.victim === 'leader' ? leader : others(c, leader)[others(c, leader).length - 1]!;
      const live = others(c, victim);
      const conns = await openAll();
      const moved = conns.filter((x) => x.pnn === victim);
      const stayed = conns.filter((x) => x.pnn !== victim);
      assert.ok(moved.length > 0, `node ${victim} hosts some addresses before the fault`);

      let restored = false;
      const t0 = performance.now();
      try {
        await fault.inflict(c, victim);
        await c.waitFor(
          () => servedOnce(live, fault.frozen === true ? victim : undefined),
          60_000,
          `${fault.name}: every address served once by nodes ${live.join(',')}`,
        );
        figure(
          `${fault.name} (node ${victim}): every address answers again after ${Math.round(performance.now() - t0)} ms`,
        );

        // The connections to moved addresses were reset, not left hanging.
        await c.waitFor(
          () => moved.every((x) => c.client.ending(x) !== undefined),
          RESET_GRACE_MS,
          `connections to ${moved.map((x) => x.address).join(', ')} reset`,
        );
        for (const x of moved) {
          assert.equal(c.client.ending(x)?.ev, 'reset', `connection to ${x.address} was reset`);
        }
        for (const x of stayed) {
          assert.equal(
            c.client.ending(x),
            undefined,
            `connection to ${x.address} (did not move) is still up`,
          );
        }

        // Back: the node takes its share again and every address is still served once.
        restored = true;
        await fault.restore(c, victim);
        const all = others(c);
        await c.waitFor(
          async () => {
            const owner = await holders(all);
            const share = [...owner.values()].filter((p) => p === victim).length;
            return share > 0 && (await servedOnce(all));
          },
          60_000,
          `node ${victim} hosts addresses again after ${fault.name} ends`,
        );
      } finally {
        // Leave a whole cluster for the next case even when this one failed.
        if (!restored) await fault.restore(c, victim).catch(() => undefined);
        for (const x of conns) c.client.close(x);
      }
    });
  }
});
