// Killing and tickling TCP connections of a public address, in network namespaces: a client
// namespace holds real TCP connections to an address on a node, and we check the client's own
// socket sees the reset.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab } from '../support/netlab.js';
import {
  eventually,
  KILLTCP,
  op,
  ROOT,
  startClient,
  startServer,
  waitForClose,
} from './helpers.js';

const can = canCreateNamespaces();
const skip = can.ok ? false : can.reason;

interface KillOutput {
  report: { total: number; killed: number; remaining: unknown[]; error?: string };
  lines: string[];
  ms: number;
}

describe('killing TCP connections of a released address', { skip }, () => {
  let lab: NetLab;
  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'h2ak', ipv6: true });
    const [n0] = lab.nodes;
    await n0!.check(['ip', 'addr', 'add', '10.78.0.100/24', 'dev', n0!.publicIface]);
    await n0!.check(['ip', 'addr', 'add', 'fd78::100/64', 'dev', n0!.publicIface, 'nodad']);
  });
  after(async () => {
    await lab.destroy();
  });

  for (const [family, ip] of [
    ['IPv4', '10.78.0.100'],
    ['IPv6', 'fd78::100'],
  ] as const) {
    test(`${family}: both ends of every connection are reset and the summary counts them`, async () => {
      const n0 = lab.nodes[0]!;
      const port = family === 'IPv4' ? 4000 : 4001;
      const server = await startServer(n0, '::', port);
      const clients = await Promise.all([1, 2].map(() => startClient(lab.client!, ip, port)));
      const before = (await op(n0, 'list', ip)) as unknown[];
      assert.equal(before.length, 2, JSON.stringify(before));

      const out = (await op(n0, 'kill', n0.publicIface, ip)) as KillOutput;
      assert.deepEqual(out.lines, [`Killed 2/2 TCP connections to released IP ${ip}`]);
      for (const c of clients) {
        const ev = await waitForClose(c.proc, 3000);
        assert.ok(ev, `client socket still open:\n${c.proc.output()}`);
        assert.ok(
          ev.some((e) => e.event === 'error' && e.code === 'ECONNRESET'),
          JSON.stringify(ev),
        );
      }
      assert.deepEqual(await op(n0, 'list', ip), []);
      server.kill();
    });
  }

  test('port 445 is killed one-way: the server side goes, the client is not told', async () => {
    const n0 = lab.nodes[0]!;
    const server = await startServer(n0, '0.0.0.0', 445);
    const c = await startClient(lab.client!, '10.78.0.100', 445);
    const out = (await op(n0, 'kill', n0.publicIface, '10.78.0.100')) as KillOutput;
    assert.deepEqual(out.lines, ['Killed 1/1 TCP connections to released IP 10.78.0.100']);
    assert.ok(
      await eventually(async () => Promise.resolve(/server-close/.test(server.output())), 2000),
      server.output(),
    );
    // The client got no RST: with nothing to send it still believes it is connected.
    assert.equal(await waitForClose(c.proc, 700), undefined, c.proc.output());
    c.proc.kill();
    server.kill();
  });

  test('ss -K style: sock_diag destroy resets both ends and says so', async () => {
    const n0 = lab.nodes[0]!;
    const server = await startServer(n0, '0.0.0.0', 4004);
    const c = await startClient(lab.client!, '10.78.0.100', 4004);
    const out = (await op(n0, 'destroy', '10.78.0.100')) as { lines: string[]; error?: string };
    assert.equal(out.error, undefined);
    assert.deepEqual(out.lines, [
      'Killed 1/1 TCP connections to released IP 10.78.0.100, using ss -K',
    ]);
    const ev = await waitForClose(c.proc, 2000);
    assert.ok(
      ev?.some((e) => e.code === 'ECONNRESET'),
      c.proc.output(),
    );
    server.kill();
  });

  test('nothing to kill prints nothing', async () => {
    const n0 = lab.nodes[0]!;
    const out = (await op(n0, 'kill', n0.publicIface, '10.78.0.100')) as KillOutput;
    assert.deepEqual(out.report, { total: 0, killed: 0, remaining: [] });
    assert.deepEqual(out.lines, []);
  });

  test('tools/ctdb_killtcp resets the pairs given on stdin, as CTDB 10.interface feeds it', async () => {
    const n0 = lab.nodes[0]!;
    const server = await startServer(n0, '0.0.0.0', 4002);
    const c = await startClient(lab.client!, '10.78.0.100', 4002);
    const client = `10.78.0.254:${c.localPort}`;
    const local = '10.78.0.100:4002';
    // The leading blank line and the comment are what CTDB's shell function may produce.
    const input = `\n# pairs\n${client} ${local}\n${local} ${client}\n`;
    const r = await n0.run([process.execPath, '--import', 'tsx', KILLTCP, n0.publicIface], {
      cwd: ROOT,
      input,
      env: { ...process.env, CTDB_DEBUGLEVEL: 'INFO' },
      timeoutMs: 15_000,
    });
    assert.equal(r.code, 0, r.stderr);
    // Both pairs were answered and reset (not given up on after 50 attempts).
    assert.match(r.stderr, /reset 2\/2 connections/);
    const ev = await waitForClose(c.proc, 2000);
    assert.ok(
      ev?.some((e) => e.code === 'ECONNRESET'),
      c.proc.output(),
    );
    assert.deepEqual(await op(n0, 'list', '10.78.0.100'), []);
    server.kill();
  });
  test(
    "CTDB's own shell kill_tcp_connections runs ours as its ctdb_killtcp",
    {
      skip: existsSync('/etc/ctdb/functions') ? false : '/etc/ctdb/functions not installed',
    },
    async () => {
      const n0 = lab.nodes[0]!;
      const bindir = mkdtempSync(join(tmpdir(), 'h2a-helpers-'));
      try {
        const wrapper = join(bindir, 'ctdb_killtcp');
        writeFileSync(
          wrapper,
          `#!/bin/sh\ncd '${ROOT}' && exec '${process.execPath}' --import tsx '${KILLTCP}' "$@"\n`,
        );
        chmodSync(wrapper, 0o755);
        const server = await startServer(n0, '0.0.0.0', 4003);
        const clients = await Promise.all(
          [1, 2, 3].map(() => startClient(lab.client!, '10.78.0.100', 4003)),
        );
        const r = await n0.run(
          [
            'bash',
            '-c',
            `. /etc/ctdb/functions && kill_tcp_connections ${n0.publicIface} 10.78.0.100`,
          ],
          {
            env: { ...process.env, CTDB_BASE: '/etc/ctdb', CTDB_HELPER_BINDIR: bindir },
            timeoutMs: 20_000,
          },
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'Killed 3/3 TCP connections to released IP 10.78.0.100\n');
        for (const c of clients) {
          const ev = await waitForClose(c.proc, 2000);
          assert.ok(
            ev?.some((e) => e.code === 'ECONNRESET'),
            c.proc.output(),
          );
        }
        server.kill();
      } finally {
        rmSync(bindir, { recursive: true, force: true });
      }
    },
  );
});

describe('tickle ACKs after an address moves', { skip }, () => {
  let lab: NetLab;
  before(async () => {
    lab = await NetLab.create({ nodes: 2, label: 'h2at', ipv6: true });
  });
  after(async () => {
    await lab.destroy();
  });

  for (const [family, ip, prefix] of [
    ['IPv4', '10.78.0.101', 24],
    ['IPv6', 'fd78::101', 64],
  ] as const) {
    test(`${family}: the new owner's tickle makes the client's stale connection reset at once`, async () => {
      const [n0, n1] = lab.nodes;
      const port = family === 'IPv4' ? 5000 : 5001;
      await n0!.check(['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', n0!.publicIface, 'nodad']);
      const server = await startServer(n0!, '::', port);
      const c = await startClient(lab.client!, ip, port);
      const clientIp = family === 'IPv4' ? '10.78.0.254' : 'fd78::fe';

      // node0 fails (its public link goes), the address comes up on node1, which announces it.
      await lab.setLink(n0!, 'public', false);
      await n1!.check(['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', n1!.publicIface, 'nodad']);
      await op(n1!, 'arp', n1!.publicIface, ip);
      // Without a tickle the idle client notices nothing.
      assert.equal(await waitForClose(c.proc, 500), undefined, c.proc.output());

      const fmt = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
      const sent = (await op(n1!, 'tickle', fmt(clientIp, c.localPort), fmt(ip, port))) as {
        t: number;
      };
      const ev = await waitForClose(c.proc, 2000);
      assert.ok(ev, `client connection not reset:\n${c.proc.output()}`);
      const reset = ev.find((e) => e.event === 'error' && e.code === 'ECONNRESET');
      assert.ok(reset, c.proc.output());
      // Promptly: well within the first retransmission or keepalive the client would need.
      assert.ok(reset.t - sent.t < 1000, `reset ${reset.t - sent.t} ms after the tickle`);

      server.kill();
      await lab.setLink(n0!, 'public', true);
      await n0!.check(['ip', 'addr', 'del', `${ip}/${prefix}`, 'dev', n0!.publicIface]);
      await n1!.check(['ip', 'addr', 'del', `${ip}/${prefix}`, 'dev', n1!.publicIface]);
    });
  }

  test("takeover's announcement (ARP and the tickle list, 3 rounds) resets the client", async () => {
    const [n0, n1] = lab.nodes;
    const ip = '10.78.0.102';
    await n0!.check(['ip', 'addr', 'add', `${ip}/24`, 'dev', n0!.publicIface]);
    const server = await startServer(n0!, '0.0.0.0', 5002);
    const c = await startClient(lab.client!, ip, 5002);
    await lab.setLink(n0!, 'public', false);
    await n1!.check(['ip', 'addr', 'add', `${ip}/24`, 'dev', n1!.publicIface]);
    const r = (await op(
      n1!,
      'announce',
      n1!.publicIface,
      ip,
      '3',
      '1100',
      `10.78.0.254:${c.localPort}`,
      `${ip}:5002`,
    )) as { rounds: number };
    assert.equal(r.rounds, 3);
    const ev = await waitForClose(c.proc, 1000);
    assert.ok(
      ev?.some((e) => e.code === 'ECONNRESET'),
      c.proc.output(),
    );
    server.kill();
    await lab.setLink(n0!, 'public', true);
  });
});
