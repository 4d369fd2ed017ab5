// Compatibility of the ip commands: on a real 3-node cluster (Debian's ctdbd by default; ours
// with CTDB_TEST_DAEMON=ours) with public addresses on nodes 0 and 1 (node 2 has none), Debian's
// /usr/bin/ctdb and ours run the same command against the same daemon; stdout, stderr and exit
// status must be identical. State-changing commands are run by ours and checked with Debian's.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import {
  CtdbCluster,
  DEBIAN_CTDB_PATH,
  daemonFromEnv,
  debianClusterUnavailable,
} from '../support/debian-ctdb.js';
import { runCommand, type RunResult } from '../support/netlab.js';
import { CtdbClient } from '../../runtime/client/index.js';
import { Control, ControlFlag, ifaceListPayload, sockAddr } from '../../runtime/protocol/index.js';
import {
  connectionPayload,
  publicIpInfoPayload,
  publicIpListPayload,
  sockAddrPayload,
  tickleListPayload,
  type Connection,
} from '../../runtime/takeover/wire.js';

const root = join(import.meta.dirname, '../..');
const daemon = daemonFromEnv();
const unavailable = debianClusterUnavailable(daemon);

const PUBLIC = ['10.77.1.1/24 lo', '10.77.1.2/24 lo', '10.77.2.1/24 lo', 'fd77::10/64 lo', ''].join(
  '\n',
);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const outcome = (r: RunResult): Outcome => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

describe(
  `ctdb ip commands: ours vs Debian's, against ${daemon.name}`,
  { skip: unavailable ?? false },
  () => {
    let cluster: CtdbCluster;
    let held: Server | undefined;
    let heldPort = 0;

    const real = async (args: readonly string[], pnn = 0): Promise<Outcome> =>
      outcome(
        await runCommand([DEBIAN_CTDB_PATH, ...args], { env: cluster.env(pnn), timeoutMs: 60_000 }),
      );
    const ours = async (args: readonly string[], pnn = 0): Promise<Outcome> =>
      outcome(
        await runCommand(
          [process.execPath, '--import', 'tsx', join(root, 'tools/ctdb.ts'), ...args],
          { env: cluster.env(pnn), cwd: root, timeoutMs: 60_000 },
        ),
      );
    async function same(args: readonly string[], pnn = 0): Promise<Outcome> {
      const r = await real(args, pnn);
      const o = await ours(args, pnn);
      assert.deepEqual(o, r, `ctdb ${args.join(' ')}`);
      return o;
    }

    /** Waits (bounded) until Debian's `ip all` shows every address hosted. */
    async function waitAssigned(): Promise<string> {
      let last = '';
      for (let i = 0; i < 60; i++) {
        const r = await real(['ip', 'all']);
        last = r.stdout + r.stderr;
        if (r.code === 0 && !/ -1$/m.test(r.stdout) && r.stdout.split('\n').length >= 6) {
          return r.stdout;
        }
        await sleep(500);
      }
      throw new Error(`addresses not assigned:\n${last}`);
    }

    before(async () => {
      // Other test files may be starting clusters at the same moment: allow for a slow start.
      cluster = await CtdbCluster.start({ daemon, label: 'h9ip', readyTimeoutMs: 120_000 });
      for (const pnn of [0, 1]) {
        writeFileSync(join(cluster.node(pnn).base, 'public_addresses'), PUBLIC);
      }
      // A reload can time out on a loaded machine; it is idempotent, so try it a few times.
      let r = await real(['reloadips', 'all']);
      for (let i = 0; i < 3 && r.code !== 0; i++) {
        await sleep(2000);
        r = await real(['reloadips', 'all']);
      }
      assert.equal(r.code, 0, r.stderr);
      await waitAssigned();
      held = createServer();
      await new Promise<void>((resolve) => held!.listen(0, '127.0.0.1', resolve));
      const a = held.address();
      heldPort = typeof a === 'object' && a !== null ? a.port : 0;
    });
    after(async () => {
      held?.close();
      await cluster?.stop();
    });

    const readOnly: readonly (readonly string[])[] = [
      ['ip'],
      ['ip', '-v'],
      ['-X', 'ip'],
      ['-X', 'ip', '-v'],
      ['-Y', '-x', ':', 'ip', '-v'],
      ['ip', 'all'],
      ['ip', 'all', '-v'],
      ['-X', 'ip', 'all', '-v'],
      ['-n', '1', 'ip', '-v'],
      ['-n', '2', 'ip'],
      ['-n', '2', 'ip', '-v'],
      ['ip', 'bogus'],
      ['ip', 'all', 'x'],
      ['ipinfo', '10.77.1.1'],
      ['ipinfo', 'fd77::10'],
      ['-n', '1', 'ipinfo', '10.77.2.1'],
      ['ipinfo'],
      ['ipinfo', 'not-an-ip'],
      ['ipinfo', '10.99.9.9'],
      ['ifaces'],
      ['-X', 'ifaces'],
      ['-n', '2', 'ifaces'],
      ['ifaces', 'x'],
      ['gettickles', '10.77.1.1'],
      ['gettickles', '10.77.1.1', '445'],
      ['-X', 'gettickles', '10.77.1.1'],
      ['gettickles'],
      ['gettickles', 'nope'],
      ['gettickles', '10.99.9.9'],
      ['setifacelink'],
      ['setifacelink', 'nope', 'up'],
      ['setifacelink', 'lo', 'sideways'],
      ['setifacelink', 'averyveryverylonginterfacename', 'up'],
      ['delip', '10.99.9.9'],
      ['delip'],
      ['delip', 'x'],
      ['addip', '10.77.9.9', 'lo'],
      ['addip', '10.77.1.1/24', 'lo'],
      ['addip'],
      ['moveip', 'x', '1'],
      ['moveip', '10.77.1.1', 'y'],
      ['moveip', '10.77.1.1'],
      ['-n', '1', 'moveip', '10.77.1.1', '0'],
      ['-n', '1', 'reloadips'],
      ['reloadips', '0', 'extra'],
      ['gratarp'],
      ['gratarp', 'x', 'lo'],
      ['tickle', 'x', 'y'],
      ['tickle', '10.0.0.1:1'],
      ['-n', '1', 'tickle', '1.2.3.4:1', '1.2.3.5:2'],
      ['addtickle', '10.77.1.1'],
      ['addtickle', 'bad', '10.77.1.1:445'],
      ['deltickle', '10.1.1.1:4', 'bad'],
      ['checktcpport'],
      ['ipreallocate', 'x'],
      ['sync', 'x'],
    ];
    for (const args of readOnly) {
      test(`ctdb ${args.join(' ')}`, async () => {
        await same(args);
      });
    }

    test('wire layouts: Debian ctdbd reply bytes decode and re-encode byte for byte', async () => {
      const client = await CtdbClient.connect(cluster.node(0).socket, { timeoutMs: 10_000 });
      try {
        const conn: Connection = {
          src: sockAddr('fd00::9', 40001),
          dst: sockAddr('10.77.2.1', 445),
        };
        const add = await client.raw(Control.TCP_ADD, 0, connectionPayload.encode(conn));
        assert.equal(add.status, 0);
        const check = async <T>(
          label: string,
          opcode: number,
          data: Uint8Array | undefined,
          codec: { decode(b: Uint8Array): T; encode(v: T): Uint8Array },
          flags = 0,
        ): Promise<T> => {
          const r = await client.raw(opcode, 0, data, { flags });
          assert.equal(r.status, 0, label);
          const value = codec.decode(r.data);
          assert.deepEqual(Buffer.from(codec.encode(value)), Buffer.from(r.data), label);
          return value;
        };
        const ips = await check(
          'public_ip_list',
          Control.GET_PUBLIC_IPS,
          undefined,
          publicIpListPayload,
        );
        assert.equal(ips.length, 4);
        await check(
          'public_ip_list available',
          Control.GET_PUBLIC_IPS,
          undefined,
          publicIpListPayload,
          ControlFlag.PUBLIC_IP_ONLY_AVAILABLE,
        );
        for (const a of ['10.77.1.1', 'fd77::10']) {
          const info = await check(
            `public_ip_info ${a}`,
            Control.GET_PUBLIC_IP_INFO,
            sockAddrPayload.encode(sockAddr(a)),
            publicIpInfoPayload,
          );
          assert.equal(info.ip.addr.address, a);
        }
        await check('iface_list', Control.GET_IFACES, undefined, ifaceListPayload);
        const tickles = await check(
          'tickle_list',
          Control.GET_TCP_TICKLE_LIST,
          sockAddrPayload.encode(sockAddr('10.77.2.1')),
          tickleListPayload,
        );
        assert.deepEqual(tickles.connections, [conn]);
        await client.raw(Control.TCP_REMOVE, 0, connectionPayload.encode(conn));
      } finally {
        client.close();
      }
    });

    test('checktcpport: a free port and a port in use', async () => {
      await same(['checktcpport', String(heldPort)]);
      const r = await same(['checktcpport', '0']);
      assert.equal(r.code, 0);
    });

    test('addtickle/deltickle by ours are seen by Debian gettickles, and the reverse', async () => {
      const o = await ours(['addtickle', '10.1.2.3:40000', '10.77.1.1:445']);
      assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
      await real(['addtickle', '[fd00::9]:40001', '10.77.1.1:2049']);
      const got = await same(['gettickles', '10.77.1.1']);
      assert.match(got.stdout, /Num connections: 2/);
      assert.match(got.stdout, /SRC: 10\.1\.2\.3:40000 {3}DST: 10\.77\.1\.1:445/);
      await same(['-X', 'gettickles', '10.77.1.1', '2049']);
      await ours(['deltickle', '10.1.2.3:40000', '10.77.1.1:445']);
      await real(['deltickle', '[fd00::9]:40001', '10.77.1.1:2049']);
      const empty = await same(['gettickles', '10.77.1.1']);
      assert.match(empty.stdout, /Num connections: 0/);
    });

    test('setifacelink by ours is seen by both tools', async () => {
      const o = await ours(['-n', '1', 'setifacelink', 'lo', 'down']);
      assert.equal(o.code, 0, o.stderr);
      try {
        // The leader moves node 1's addresses away; compare once that has settled.
        let settled = '';
        for (let i = 0; i < 40; i++) {
          settled = (await real(['-n', '1', 'ifaces'])).stdout;
          if (/name:lo link:down references:0/.test(settled)) break;
          await sleep(500);
        }
        assert.match(settled, /name:lo link:down references:0/);
        await same(['-n', '1', 'ifaces']);
        await same(['-n', '1', '-X', 'ifaces']);
        await same(['-n', '1', 'ip', '-v']);
        await same(['-n', '1', 'ipinfo', '10.77.1.1']);
      } finally {
        await ours(['-n', '1', 'setifacelink', 'lo', 'up']);
      }
      assert.match((await real(['-n', '1', 'ifaces'])).stdout, /name:lo link:up/);
    });

    test('ipreallocate and sync by ours complete', async () => {
      assert.deepEqual(await ours(['ipreallocate']), { code: 0, stdout: '', stderr: '' });
      assert.deepEqual(await ours(['sync']), { code: 0, stdout: '', stderr: '' });
      await waitAssigned();
      await same(['ip', 'all']);
    });

    test('moveip by ours moves the address (as the real tool reports it)', async () => {
      const before = (await real(['ip', 'all'])).stdout;
      const owner = /^10\.77\.1\.2 (\d+)$/m.exec(before)?.[1];
      assert.ok(owner !== undefined, before);
      const target = owner === '0' ? '1' : '0';
      const o = await ours(['moveip', '10.77.1.2', target]);
      assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
      const now = await same(['ip', 'all']);
      assert.match(now.stdout, new RegExp(`^10\\.77\\.1\\.2 ${target}$`, 'm'));
    });

    test('addip/delip by ours change node 2, seen by Debian', async () => {
      const o = await ours(['-n', '2', 'addip', '10.77.3.3/24', 'lo']);
      assert.equal(o.code, 0, o.stderr);
      const shown = await same(['-n', '2', 'ip']);
      assert.match(shown.stdout, /^10\.77\.3\.3 /m);
      await same(['-n', '2', 'addip', '10.77.3.3/24', 'lo']);
      await same(['-n', '2', 'ifaces']);
      const d = await ours(['-n', '2', 'delip', '10.77.3.3']);
      assert.equal(d.code, 0, d.stderr);
      await ours(['ipreallocate']);
      const gone = await real(['-n', '2', 'ip']);
      assert.doesNotMatch(gone.stdout, /10\.77\.3\.3/);
    });

    test('reloadips by ours re-reads public_addresses', async () => {
      writeFileSync(join(cluster.node(1).base, 'public_addresses'), `${PUBLIC}10.77.4.4/24 lo\n`);
      const o = await ours(['reloadips', '1']);
      assert.equal(o.code, 0, o.stderr);
      assert.match((await real(['-n', '1', 'ip'])).stdout, /^10\.77\.4\.4 /m);
      await same(['-n', '1', 'ip', '-v']);
    });
  },
);
