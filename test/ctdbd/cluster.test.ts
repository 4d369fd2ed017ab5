// A 3-node cluster of our ctdbd, one node per network namespace: it reaches all OK with a
// leader (seen by Debian's `ctdb` and by ours), survives garbage on its Unix socket and on port
// 4379, shows a killed node DISCONNECTED within a second, and elects a new leader when the
// leader dies.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DestNode, NodeFlag, Operation } from '../../runtime/protocol/constants.js';
import { FrameParser } from '../../runtime/protocol/framing.js';
import { decodePacket, encodeReqControl } from '../../runtime/protocol/packets.js';
import { helperCommand } from '../../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../../tools/local-cluster.js';
import { canCreateNamespaces, runCommand, NetLab, type LabProcess } from '../support/netlab.js';

const can = canCreateNamespaces();
const DEBIAN_CTDB = '/usr/bin/ctdb';
const skip = can.ok ? false : can.reason;

describe('ctdbd cluster in namespaces', { skip }, () => {
  let lab: NetLab;
  let dir: string;
  const bases: string[] = [];
  const daemons: LabProcess[] = [];

  async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined>,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  function debianCtdb(node: number, args: string[]) {
    return runCommand([DEBIAN_CTDB, ...args], {
      env: { ...process.env, CTDB_SOCKET: socketOf(bases[node]!) },
      timeoutMs: 20_000,
    });
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 3, client: false, label: 'ctdbd' });
    dir = mkdtempSync(join(tmpdir(), 'ctdbd-cluster-'));
    const addresses = lab.nodes.map((n) => n.privateAddress!);
    for (const [i, host] of lab.nodes.entries()) {
      const base = join(dir, `node.${i}`);
      bases.push(base);
      writeNodeConfig(base, addresses, i);
      daemons.push(
        host.spawn([...helperCommand('ctdbd'), '-i'], { env: nodeEnv(base), stdinPipe: true }),
      );
    }
    await waitFor(
      'all nodes OK with a leader',
      async () => {
        const ps = await Promise.all(bases.map((b) => probe(socketOf(b), 1500)));
        return ps.every((p) => healthy(p, 3)) ? true : undefined;
      },
      // Generous: on a loaded machine each node needs seconds just to load.
      150_000,
    ).catch((err: unknown) => {
      for (const d of daemons) process.stderr.write(d.output().slice(-3000));
      throw err;
    });
  });

  after(async () => {
    for (const d of daemons) d.closeStdin();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'Debian ctdb status shows all nodes OK with a leader',
    {
      skip: existsSync(DEBIAN_CTDB) ? false : 'Debian ctdb not installed',
    },
    async () => {
      const r = await debianCtdb(1, ['status']);
      assert.equal(r.code, 0, r.stderr);
      const addr = lab.nodes.map((n) => n.privateAddress!);
      assert.match(r.stdout, /^Number of nodes:3$/m);
      assert.match(r.stdout, new RegExp(`^pnn:0 ${addr[0]!.replace(/\./g, '\\.')} +OK$`, 'm'));
      assert.match(
        r.stdout,
        new RegExp(`^pnn:1 ${addr[1]!.replace(/\./g, '\\.')} +OK \\(THIS NODE\\)$`, 'm'),
      );
      assert.match(r.stdout, /^Generation:\d+$/m);
      assert.match(r.stdout, /^Size:3$/m);
      assert.match(r.stdout, /^hash:2 lmaster:2$/m);
      assert.match(r.stdout, /^Recovery mode:NORMAL \(0\)$/m);
      assert.match(r.stdout, /^Leader:[012]$/m);
    },
  );

  test(
    'Debian ctdb statistics reads our counters',
    {
      skip: existsSync(DEBIAN_CTDB) ? false : 'Debian ctdb not installed',
    },
    async () => {
      const r = await debianCtdb(0, ['statistics']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^CTDB version 1$/m);
      assert.match(r.stdout, /^ num_recoveries +[1-9]\d*$/m);
      assert.match(r.stdout, /^ node_packets_recv +[1-9]\d*$/m);
    },
  );

  test('our ctdb status shows the same', async () => {
    const ctdb = helperCommand('ctdb');
    const ours = await runCommand([...ctdb, 'status'], {
      env: { ...process.env, CTDB_SOCKET: socketOf(bases[1]!) },
      timeoutMs: 20_000,
    });
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout, /^Number of nodes:3$/m);
    assert.match(ours.stdout, /^Recovery mode:NORMAL \(0\)$/m);
    assert.match(ours.stdout, /^Leader:[012]$/m);
    if (existsSync(DEBIAN_CTDB)) {
      const theirs = await debianCtdb(1, ['status']);
      // The leader can only change between the two calls if an election ran; it did not.
      assert.equal(ours.stdout, theirs.stdout);
    }
  });

  /** Sends one control to a daemon over its Unix socket and returns the reply's status. */
  function controlStatus(sock: string, opcode: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const s = connect(sock);
      const timer = setTimeout(() => {
        s.destroy();
        resolve(undefined);
      }, 5000);
      const parser = new FrameParser({
        onFrame: (f) => {
          const p = decodePacket(f);
          if (p.operation === Operation.REPLY_CONTROL && p.header.reqid === 7) {
            clearTimeout(timer);
            s.destroy();
            resolve(p.status);
          }
        },
        onError: () => undefined,
      });
      s.on('data', (c: Buffer) => parser.push(c));
      s.on('error', () => resolve(undefined));
      s.on('connect', () =>
        s.write(encodeReqControl({ destnode: DestNode.CURRENT_NODE, reqid: 7, opcode })),
      );
    });
  }

  test('obsolete, removed and unknown control opcodes are answered with status -1', async () => {
    const sock = socketOf(bases[0]!);
    // 10 GET_NODEMAPv4 (obsolete), 12 (removed), 161 START_IPREALLOCATE (newer), 4000 (unknown)
    for (const opcode of [10, 12, 161, 4000]) assert.equal(await controlStatus(sock, opcode), -1);
    // …and a real one still works: GET_PNN answers with the PNN in the status.
    assert.equal(await controlStatus(sock, 35), 0);
  });

  test('garbage on the Unix socket is logged and dropped; the daemon still answers', async () => {
    const sock = socketOf(bases[0]!);
    // A frame with a plausible length but a bad magic, then bytes whose length field is absurd.
    const badMagic = Buffer.alloc(40);
    badMagic.writeUInt32LE(40, 0);
    badMagic.write('NOPE', 4);
    const absurd = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const payload of [badMagic, absurd, Buffer.from('hello, ctdbd\n')]) {
      await new Promise<void>((resolve) => {
        const s = connect(sock, () => {
          s.write(payload);
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 100);
        });
        s.on('error', () => resolve());
      });
    }
    const p = await probe(sock, 3000);
    assert.ok(p !== undefined, 'the daemon answers after garbage');
    assert.equal(p.pnn, 0);
    assert.ok(daemons[0]!.running);
    assert.match(daemons[0]!.output(), /Dropped bad packet from client|Bad data from client/);
  });

  test('garbage on port 4379 from an unknown address is refused; the node stays healthy', async () => {
    const n0 = lab.nodes[0]!;
    await n0.check(['ip', 'addr', 'add', '10.77.0.99/24', 'dev', 'eth0']);
    const target = lab.nodes[1]!.privateAddress!;
    const script =
      `const s=require('net').connect({host:'${target}',port:4379,localAddress:'10.77.0.99'},` +
      `()=>{s.write(Buffer.alloc(64,0xab));setTimeout(()=>s.destroy(),200)});s.on('error',()=>{})`;
    await n0.run([process.execPath, '-e', script], { timeoutMs: 10_000 });
    await n0.check(['ip', 'addr', 'del', '10.77.0.99/24', 'dev', 'eth0']);
    await sleep(300);
    assert.match(daemons[1]!.output(), /Refused connection from unknown address 10\.77\.0\.99/);
    const p = await probe(socketOf(bases[1]!), 3000);
    assert.ok(healthy(p, 3), `node 1 still sees a healthy cluster: ${JSON.stringify(p)}`);
  });

  test('a node killed with SIGKILL is DISCONNECTED at the others within a second', async () => {
    const victim = 2;
    const started = Date.now();
    daemons[victim]!.kill('SIGKILL');
    const seen = await waitFor(
      'node 2 DISCONNECTED on nodes 0 and 1',
      async () => {
        const ps = await Promise.all([0, 1].map((i) => probe(socketOf(bases[i]!), 1500, false)));
        const ok = ps.every(
          (p) => p !== undefined && ((p.flags[victim] ?? 0) & NodeFlag.DISCONNECTED) !== 0,
        );
        return ok ? Date.now() - started : undefined;
      },
      5_000,
    );
    assert.ok(seen < 1_500, `seen after ${seen} ms`);
    for (const i of [0, 1]) {
      const log = daemons[i]!.output();
      const m = log.match(/(\S+) ctdbd\[\d+\]: NOTICE: Node \S+ is now disconnected \(pnn 2\)/);
      assert.ok(m !== null, `node ${i} logged the disconnection`);
      const at = Date.parse(m[1]!);
      assert.ok(at - started < 1_000, `node ${i} noticed after ${at - started} ms`);
    }
  });

  test('when the leader is killed the others elect a new one', async () => {
    // Node 2 is dead; if it was the leader, wait for the election that replaced it.
    const leader = await waitFor(
      'a live leader',
      async () => {
        const l = (await probe(socketOf(bases[0]!), 1500))?.leader;
        return l === 0 || l === 1 ? l : undefined;
      },
      30_000,
    );
    const survivors = [0, 1].filter((i) => i !== leader);
    daemons[leader]!.kill('SIGKILL');
    const newLeader = await waitFor(
      'a new leader',
      async () => {
        const ps = await Promise.all(survivors.map((i) => probe(socketOf(bases[i]!), 1500)));
        const l = ps[0]?.leader;
        return l !== undefined && l !== leader && ps.every((p) => p?.leader === l) ? l : undefined;
      },
      30_000,
    );
    assert.ok(survivors.includes(newLeader));
  });
});
