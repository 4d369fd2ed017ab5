// A 2-node cluster addressed by IPv6 (the nodes file and the transport), seen by Debian's ctdb.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand } from '../../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../../tools/local-cluster.js';
import { NetLab, canCreateNamespaces, runCommand, type LabProcess } from '../support/netlab.js';

const can = canCreateNamespaces();

test(
  'an IPv6 cluster reaches all OK with a leader',
  { skip: can.ok ? false : can.reason },
  async () => {
    const lab = await NetLab.create({ nodes: 2, client: false, label: 'ctd6', ipv6: true });
    const dir = mkdtempSync(join(tmpdir(), 'ctdbd-ipv6-'));
    const procs: LabProcess[] = [];
    try {
      const addresses = ['fd77::1', 'fd77::2'];
      const bases = addresses.map((_, i) => join(dir, `node.${i}`));
      for (const [i, host] of lab.nodes.entries()) {
        writeNodeConfig(bases[i]!, addresses, i);
        procs.push(
          host.spawn([...helperCommand('ctdbd'), '-i'], {
            env: nodeEnv(bases[i]!),
            stdinPipe: true,
          }),
        );
      }
      let ok = false;
      const deadline = Date.now() + 150_000;
      while (!ok && Date.now() < deadline) {
        const ps = await Promise.all(bases.map((b) => probe(socketOf(b), 1500)));
        ok = ps.every((p) => healthy(p, 2));
        if (!ok) await sleep(200);
      }
      assert.ok(ok, procs.map((p) => p.output().slice(-1500)).join('\n'));
      if (existsSync('/usr/bin/ctdb')) {
        const r = await runCommand(['/usr/bin/ctdb', 'status'], {
          env: { ...process.env, CTDB_SOCKET: socketOf(bases[1]!) },
        });
        assert.match(r.stdout, /^pnn:0 fd77::1 +OK$/m);
        assert.match(r.stdout, /^pnn:1 fd77::2 +OK \(THIS NODE\)$/m);
      }
    } finally {
      for (const p of procs) p.closeStdin();
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
