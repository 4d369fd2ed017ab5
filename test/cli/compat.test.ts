// Compatibility proof for the node commands: on a real 3-node cluster, Debian's /usr/bin/ctdb
// and our `ctdb` run the same command against the same daemon socket; stdout, stderr and exit
// status must be identical once timing fields (ping time, uptime clock values) are masked. The
// whole comparison runs twice: against Debian's ctdbd (our tool matches the real daemon's
// answers) and against ours (the real tool accepts our daemon's answers). CTDB_TEST_DAEMON=
// debian|ours limits it to one. Our tool is the installed start-up bundle, built from the
// current sources (CTDB_TEST_TOOL=source runs tools/ctdb.ts through tsx instead).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import {
  CtdbCluster,
  DEBIAN_CTDB_PATH,
  debianClusterUnavailable,
  debianCtdbd,
  ourCtdbd,
  type DaemonUnderTest,
} from '../support/debian-ctdb.js';
import { runCommand, type RunResult } from '../support/netlab.js';
import { ourCtdb } from './ctdb-tool.js';
import { READ_ONLY_COMMANDS as readOnly } from './node-command-list.js';

const root = join(import.meta.dirname, '../..');
const only = process.env.CTDB_TEST_DAEMON;
const daemons: readonly [DaemonUnderTest, string][] = [
  [debianCtdbd, 'cmpd'],
  [ourCtdbd, 'cmpo'],
];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Masks what legitimately differs between two runs a moment apart. */
function mask(text: string): string {
  return text
    .replace(/time=\d+\.\d{6} sec/g, 'time=T sec')
    .replace(/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, 'DATE')
    .replace(/\(\d{3} \d\d:\d\d:\d\d\)/g, '(SPAN)')
    .replace(/Duration of last recovery\/failover: \d+\.\d+ seconds/, 'Duration: D');
}

function outcome(r: RunResult): Outcome {
  return { code: r.code, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

for (const [daemon, label] of daemons) {
  const wanted =
    only === undefined || only === '' || (only === 'ours') === (daemon === ourCtdbd)
      ? undefined
      : `CTDB_TEST_DAEMON=${only}`;
  compatSuite(daemon, label, wanted ?? debianClusterUnavailable(daemon));
}

function compatSuite(
  daemon: DaemonUnderTest,
  label: string,
  unavailable: string | undefined,
): void {
  describe(
    `ctdb node commands: ours vs Debian's, against ${daemon.name}`,
    { skip: unavailable ?? false },
    () => {
      let cluster: CtdbCluster;

      before(async () => {
        cluster = await CtdbCluster.start({ daemon, label });
      });
      after(async () => {
        await cluster?.stop();
      });

      const real = async (args: readonly string[], pnn = 0): Promise<Outcome> =>
        outcome(
          await runCommand([DEBIAN_CTDB_PATH, ...args], {
            env: cluster.env(pnn),
            timeoutMs: 60_000,
          }),
        );
      const ours = async (args: readonly string[], pnn = 0): Promise<Outcome> =>
        outcome(
          await runCommand([...ourCtdb(), ...args], {
            env: cluster.env(pnn),
            cwd: root,
            timeoutMs: 60_000,
          }),
        );

      async function same(args: readonly string[], pnn = 0): Promise<Outcome> {
        const r = await real(args, pnn);
        const o = await ours(args, pnn);
        assert.deepEqual(o, r, `ctdb ${args.join(' ')}`);
        return o;
      }

      for (const args of readOnly) {
        test(`ctdb ${args.join(' ')}`, async () => {
          await same(args);
        });
      }

      test('the daemon socket path comes from CTDB_BASE in test mode when CTDB_SOCKET is unset', async () => {
        const env = { ...cluster.env(1) };
        delete env.CTDB_SOCKET;
        const r = outcome(await runCommand([DEBIAN_CTDB_PATH, 'pnn'], { env }));
        const o = outcome(
          await runCommand([...ourCtdb(), 'pnn'], {
            env,
            cwd: root,
          }),
        );
        assert.deepEqual(o, r);
        assert.equal(o.stdout, '1\n');
      });

      test('no daemon: the same connection failure text and status', async () => {
        const env = { ...cluster.env(0), CTDB_SOCKET: join(cluster.dir, 'nope.socket') };
        const r = outcome(await runCommand([DEBIAN_CTDB_PATH, 'status'], { env }));
        const o = outcome(
          await runCommand([...ourCtdb(), 'status'], {
            env,
            cwd: root,
          }),
        );
        assert.deepEqual(o, r);
        assert.equal(o.code, 1);
      });

      // Commands that change state: each is run by both tools in turn from the same starting state,
      // restoring in between; then the "already in that state" answers are compared too.
      async function toggle(
        doArgs: readonly string[],
        undoArgs: readonly string[],
        check: (status: string) => boolean,
      ): Promise<void> {
        const r1 = await real(doArgs);
        assert.equal(r1.code, 0, `${doArgs.join(' ')}: ${r1.stderr}`);
        assert.ok(
          check(
            (
              await real([
                '-n',
                doArgs.includes('-n') ? doArgs[doArgs.indexOf('-n') + 1]! : '0',
                'nodestatus',
              ])
            ).stdout,
          ),
        );
        const rAgain = await real(doArgs);
        const oAgain = await ours(doArgs);
        assert.deepEqual(oAgain, rAgain, 'already-in-state answer');
        const rUndo = await real(undoArgs);
        assert.equal(rUndo.code, 0, rUndo.stderr);
        const o1 = await ours(doArgs);
        assert.deepEqual(o1, r1, `ours: ${doArgs.join(' ')}`);
        const oUndo = await ours(undoArgs);
        assert.deepEqual(oUndo, rUndo, `ours: ${undoArgs.join(' ')}`);
        const rUndoAgain = await real(undoArgs);
        const oUndoAgain = await ours(undoArgs);
        assert.deepEqual(oUndoAgain, rUndoAgain, 'not-in-state answer');
      }

      test('disable / enable', async () => {
        await toggle(['-n', '2', 'disable'], ['-n', '2', 'enable'], (s) => /DISABLED/.test(s));
        await same(['-n', '2', 'nodestatus']);
      });

      test('stop / continue', async () => {
        await toggle(['-n', '2', 'stop'], ['-n', '2', 'continue'], (s) => /STOPPED/.test(s));
      });

      test('ban / unban', async () => {
        await toggle(['-n', '2', 'ban', '60'], ['-n', '2', 'unban'], (s) => /BANNED/.test(s));
        await cluster.waitHealthy(60_000);
      });

      test('setvar is silent and takes effect; values accept 0x', async () => {
        const o = await ours(['setvar', 'RecoverTimeout', '0x1f']);
        assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
        await same(['getvar', 'RecoverTimeout']);
        assert.equal(
          (await real(['getvar', 'RecoverTimeout'])).stdout,
          'RecoverTimeout             = 31\n',
        );
        const r = await real(['setvar', 'RecoverTimeout', '30']);
        const o2 = await ours(['setvar', 'RecoverTimeout', '30']);
        assert.deepEqual(o2, r);
      });

      test('setdebug / getdebug', async () => {
        assert.deepEqual(await ours(['setdebug', 'INFO']), await real(['setdebug', 'INFO']));
        assert.equal((await same(['getdebug'])).stdout, 'INFO\n');
        assert.deepEqual(
          await ours(['-n', '1', 'setdebug', '4']),
          await real(['-n', '1', 'setdebug', '4']),
        );
        assert.equal((await same(['-n', '1', 'getdebug'])).stdout, 'NOTICE\n');
        await real(['setdebug', 'NOTICE']);
      });

      test('setlmasterrole / setleaderrole change the capabilities', async () => {
        const o = await ours(['-n', '2', 'setlmasterrole', 'off']);
        assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
        assert.equal(
          (await same(['-n', '2', 'getcapabilities'])).stdout,
          'LEADER: YES\nLMASTER: NO\n',
        );
        assert.deepEqual(
          await ours(['-n', '2', 'setlmasterrole', 'on']),
          await real(['-n', '2', 'setlmasterrole', 'on']),
        );
        assert.deepEqual(
          await ours(['-n', '2', 'setleaderrole', 'off']),
          await real(['-n', '2', 'setleaderrole', 'off']),
        );
        assert.equal(
          (await same(['-n', '2', 'getcapabilities'])).stdout,
          'LEADER: NO\nLMASTER: YES\n',
        );
        await real(['-n', '2', 'setleaderrole', 'on']);
      });

      test('recover: our tool waits for a new generation', async () => {
        const before = (await real(['status'])).stdout.match(/^Generation:(\d+)$/m)?.[1];
        const o = await ours(['recover']);
        assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
        const afterGen = (await real(['status'])).stdout.match(/^Generation:(\d+)$/m)?.[1];
        assert.ok(before !== undefined && afterGen !== undefined && before !== afterGen);
        await cluster.waitHealthy(60_000);
      });

      test('reloadnodes: NEW, nothing to do, DELETED and UNDELETED answers match', async () => {
        const files = cluster.nodes.map((n) => join(n.base, 'nodes'));
        const original = readFileSync(files[0]!, 'utf8');
        const write = (extra: string): void => {
          for (const f of files) writeFileSync(f, `${original}${extra}`);
        };
        try {
          // A new node at the end: ours adds node 3, Debian's then adds node 4; the answers
          // differ only in the number.
          write('10.77.0.99\n');
          const o = await ours(['reloadnodes']);
          assert.equal(o.stdout, 'Node 3 is NEW\n', o.stderr);
          assert.equal(o.code, 0, o.stderr);
          write('10.77.0.99\n10.77.0.98\n');
          const r = await real(['reloadnodes']);
          assert.equal(r.stdout, 'Node 4 is NEW\n', r.stderr);
          // (Debian's also warns that node 3, known now, is disconnected.)
          assert.deepEqual(
            { ...o, stdout: 'NEW' },
            {
              ...r,
              stdout: 'NEW',
              stderr: r.stderr.replace(
                'WARNING: Node 3 is disconnected. You MUST fix this node manually!\n',
                '',
              ),
            },
          );
          // Now the daemons know nodes 3 and 4: both tools find nothing to do (and warn that
          // they are disconnected).
          const same1 = await same(['reloadnodes']);
          assert.equal(same1.code, 0);
          assert.match(same1.stderr, /No change in nodes file, skipping unnecessary reload\n$/);
          await same(['status']);
          // Deleting a disconnected node and bringing it back, each tool from the same state.
          const deleted = '#10.77.0.99\n10.77.0.98\n';
          const undeleted = '10.77.0.99\n10.77.0.98\n';
          write(deleted);
          const rDel = await real(['reloadnodes']);
          assert.equal(rDel.stdout, 'Node 3 is DELETED\n', rDel.stderr);
          await same(['status']);
          await same(['listnodes']);
          write(undeleted);
          const rUndel = await real(['reloadnodes']);
          assert.equal(rUndel.stdout, 'Node 3 is UNDELETED\n', rUndel.stderr);
          write(deleted);
          assert.deepEqual(await ours(['reloadnodes']), rDel, 'ours: DELETED');
          write(undeleted);
          assert.deepEqual(await ours(['reloadnodes']), rUndel, 'ours: UNDELETED');
          await same(['status']);
          // Deleting a connected node is refused the same way.
          write(undeleted);
          const lines = original.split('\n');
          for (const f of files) {
            writeFileSync(f, `${lines[0]}\n#${lines[1]}\n${lines[2]}\n${undeleted}`);
          }
          await same(['reloadnodes']);
        } finally {
          write('10.77.0.99\n10.77.0.98\n');
        }
      });

      test('shutdown of another node: both tools return 0 and the node goes away', async () => {
        const gone = async (pnn: number): Promise<void> => {
          const deadline = Date.now() + 20_000;
          while (cluster.node(pnn).process?.running === true && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 200));
          }
          const proc = cluster.node(pnn).process;
          const others = [0, 1, 2]
            .filter((n) => n !== pnn)
            .map((n) => `--- node ${n}\n${cluster.node(n).process?.output().slice(-2500) ?? ''}`)
            .join('\n');
          assert.equal(
            proc?.running,
            false,
            `node ${pnn} exited:\n${proc?.output().slice(-3000)}\n${others}`,
          );
        };
        const o = await ours(['-n', '2', 'shutdown']);
        assert.deepEqual(o, { code: 0, stdout: '', stderr: '' });
        await gone(2);
        const r = await real(['-n', '1', 'shutdown']);
        assert.deepEqual(o, r);
        await gone(1);
        // A disconnected target is refused the same way by both tools.
        let rs = await real(['-n', '2', 'pnn']);
        for (let i = 0; i < 20 && !/DISCONNECTED/.test(rs.stderr); i++) {
          await new Promise((r) => setTimeout(r, 500));
          rs = await real(['-n', '2', 'pnn']);
        }
        await same(['-n', '2', 'getpid']);
        await same(['-n', '1', 'shutdown']);
        await same(['nodestatus', 'all']);
      });
    },
  );
}
