// `ctdb natgw|lvs leader|list|status` against CTDB 4.17's own helpers (/usr/libexec/ctdb/
// ctdb_natgw, ctdb_lvs): both read the same nodes files and options and the same node states
// from a stand-in `ctdb` on PATH that prints a fixed nodestatus table; stdout, stderr and exit
// code must match in every state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../runtime/cli/main.js';

const HELPER_DIR = '/usr/libexec/ctdb';
const FUNCTIONS = '/etc/ctdb/functions';
const haveReference =
  existsSync(join(HELPER_DIR, 'ctdb_natgw')) &&
  existsSync(join(HELPER_DIR, 'ctdb_lvs')) &&
  existsSync(FUNCTIONS);
const skip = haveReference ? false : 'Debian ctdb helpers (ctdb_natgw, ctdb_lvs) not installed';

type Flag = 'disconnected' | 'unknown' | 'banned' | 'disabled' | 'unhealthy' | 'stopped';
// ctdbd's flag bits, for the exit code of `ctdb nodestatus`.
const BITS: Record<Flag, number> = {
  disconnected: 0x01,
  unhealthy: 0x02,
  disabled: 0x04,
  banned: 0x08,
  stopped: 0x20,
  unknown: 0x80,
};
const NAMES: [Flag, string][] = [
  ['disconnected', 'DISCONNECTED'],
  ['unknown', 'UNKNOWN'],
  ['disabled', 'DISABLED'],
  ['banned', 'BANNED'],
  ['unhealthy', 'UNHEALTHY'],
  ['stopped', 'STOPPED'],
];

/** Writes the stand-in's answers: `-X nodestatus all`, `nodestatus all`, and its exit code. */
function writeStates(dir: string, nodes: Flag[][]): void {
  const ip = (pnn: number): string => `10.1.0.${pnn + 1}`;
  const machine = [
    '|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|',
    ...nodes.map((flags, pnn) => {
      const f = (x: Flag): number => (flags.includes(x) ? 1 : 0);
      const inactive = f('disconnected') | f('banned') | f('stopped');
      return `|${pnn}|${ip(pnn)}|${f('disconnected')}|${f('unknown')}|${f('banned')}|${f('disabled')}|${f('unhealthy')}|${f('stopped')}|${inactive}|0|${pnn === 0 ? 'Y' : 'N'}|`;
    }),
  ];
  const human = [
    `Number of nodes:${nodes.length}`,
    ...nodes.map((flags, pnn) => {
      const names = NAMES.filter(([f]) => flags.includes(f)).map(([, n]) => n);
      const text = names.length > 0 ? names.join('|') : 'OK';
      return `pnn:${pnn} ${ip(pnn).padEnd(16)} ${text}${pnn === 0 ? ' (THIS NODE)' : ''}`;
    }),
  ];
  const rc = nodes.flat().reduce((acc, f) => acc | BITS[f], 0);
  writeFileSync(join(dir, 'machine'), machine.join('\n') + '\n');
  writeFileSync(join(dir, 'human'), human.join('\n') + '\n');
  writeFileSync(join(dir, 'rc'), String(rc));
}

/** The stand-in fails like a `ctdb` that cannot reach its daemon. */
function writeDaemonDown(dir: string): void {
  writeFileSync(join(dir, 'machine'), '');
  writeFileSync(join(dir, 'human'), '');
  writeFileSync(join(dir, 'rc'), '255');
}

const FAKE_CTDB = `#!/bin/sh
d="$FAKE_CTDB_STATE"
if [ ! -s "$d/machine" ] ; then
  echo "connect() failed, errno=2" >&2
  echo "Failed to connect to CTDB daemon (/run/ctdb/ctdbd.socket)" >&2
fi
if [ "$1" = "-X" ] ; then cat "$d/machine" ; else cat "$d/human" ; fi
exit $(cat "$d/rc")
`;

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

describe('natgw and lvs commands match CTDB 4.17 helpers', { skip }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'h7-groups-'));
    const base = join(dir, 'base');
    mkdirSync(join(base, 'events', 'legacy'), { recursive: true });
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'state'));
    copyFileSync(FUNCTIONS, join(base, 'functions'));
    writeFileSync(join(dir, 'bin', 'ctdb'), FAKE_CTDB);
    chmodSync(join(dir, 'bin', 'ctdb'), 0o755);
    // NATGW nodes named in script.options, LVS nodes in 91.lvs.options: both lookup paths.
    writeFileSync(join(base, 'script.options'), `CTDB_NATGW_NODES="${join(dir, 'natgw_nodes')}"\n`);
    writeFileSync(
      join(base, 'events', 'legacy', '91.lvs.options'),
      `CTDB_LVS_NODES=${join(dir, 'lvs_nodes')}\n`,
    );
    writeFileSync(join(dir, 'natgw_nodes'), '10.1.0.1\n10.1.0.2\tfollower-only\n10.1.0.3\n');
    writeFileSync(join(dir, 'lvs_nodes'), '10.1.0.2 follower-only\n10.1.0.3\n10.1.0.4\n');
    env = {
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
      CTDB_BASE: base,
      FAKE_CTDB_STATE: join(dir, 'state'),
      // CTDB's functions default $CTDB to /usr/bin/ctdb; name the stand-in for both sides.
      CTDB: join(dir, 'bin', 'ctdb'),
    };
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function reference(kind: 'natgw' | 'lvs', sub: string): Outcome {
    const r = spawnSync(join(HELPER_DIR, `ctdb_${kind}`), [sub], {
      env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
  }

  async function ours(kind: 'natgw' | 'lvs', sub: string): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    const io = {
      out: (t: string) => void (stdout += t),
      err: (t: string) => void (stderr += t),
    };
    const code = await main([kind, sub], io, env);
    return { stdout, stderr, code };
  }

  async function compareAll(label: string): Promise<void> {
    for (const kind of ['natgw', 'lvs'] as const) {
      for (const sub of ['leader', 'list', 'status']) {
        const want = reference(kind, sub);
        const got = await ours(kind, sub);
        assert.deepEqual(got, want, `${label}: ctdb ${kind} ${sub}`);
      }
    }
  }

  const scenarios: [string, Flag[][]][] = [
    ['all healthy', [[], [], [], []]],
    ['first node unhealthy', [['unhealthy'], [], [], []]],
    ['only the follower-only node healthy', [['unhealthy'], [], ['banned'], []]],
    ['disabled and stopped candidates', [['disabled'], [], ['stopped'], ['disabled']]],
    ['disconnected and unhealthy', [['disconnected'], ['unhealthy'], ['unhealthy'], []]],
    ['unknown flag', [['unknown'], ['unknown'], [], ['unknown']]],
    [
      'nothing usable',
      [['disconnected'], ['disabled'], ['disconnected', 'banned'], ['unhealthy', 'stopped']],
    ],
  ];
  for (const [label, nodes] of scenarios) {
    test(label, async () => {
      writeStates(join(dir, 'state'), nodes);
      await compareAll(label);
    });
  }

  test('the compared outputs are the documented ones', async () => {
    writeStates(join(dir, 'state'), [['unhealthy'], [], [], []]);
    assert.equal((await ours('natgw', 'leader')).stdout, '2 10.1.0.3\n');
    assert.equal(
      (await ours('natgw', 'list')).stdout,
      '10.1.0.1\n10.1.0.2\tfollower-only\n10.1.0.3\tLEADER\n',
    );
    assert.equal((await ours('lvs', 'leader')).stdout, '2\n');
    assert.equal((await ours('lvs', 'list')).stdout, '1 10.1.0.2\n2 10.1.0.3\n3 10.1.0.4\n');
    assert.match(
      (await ours('natgw', 'status')).stdout,
      /^pnn:0 10\.1\.0\.1 +UNHEALTHY \(THIS NODE\)\n/,
    );
  });

  test('without $CTDB, the ctdb found on PATH is asked', async () => {
    writeStates(join(dir, 'state'), [[], ['disabled'], [], []]);
    const noCtdb = { ...env };
    delete noCtdb.CTDB;
    let stdout = '';
    const io = { out: (t: string) => void (stdout += t), err: () => undefined };
    assert.equal(await main(['lvs', 'list'], io, noCtdb), 0);
    assert.equal(stdout, reference('lvs', 'list').stdout);
    assert.equal(stdout, '2 10.1.0.3\n3 10.1.0.4\n');
  });

  test('daemon unreachable', async () => {
    writeDaemonDown(join(dir, 'state'));
    await compareAll('daemon unreachable');
  });

  test('a CTDB_NATGW_HELPER override is exec’d and its status mapped as CTDB does', async () => {
    writeStates(join(dir, 'state'), [['unhealthy'], [], [], []]);
    const want = reference('natgw', 'list');
    let stdout = '';
    let stderr = '';
    const io = { out: (t: string) => void (stdout += t), err: (t: string) => void (stderr += t) };
    const viaHelper = { ...env, CTDB_NATGW_HELPER: join(HELPER_DIR, 'ctdb_natgw') };
    assert.equal(await main(['natgw', 'list'], io, viaHelper), 0);
    assert.equal(stdout, want.stdout);
    stdout = '';
    const missing = { ...env, CTDB_LVS_HELPER: join(dir, 'no-such-helper') };
    assert.equal(await main(['lvs', 'leader'], io, missing), 2);
    assert.match(stderr, /LVS helper failed with error 2/);
  });

  test('a missing nodes file and a bad option line fail like the helpers', async () => {
    writeStates(join(dir, 'state'), [[], [], [], []]);
    rmSync(join(dir, 'natgw_nodes'));
    const want = reference('natgw', 'leader');
    const got = await ours('natgw', 'leader');
    assert.deepEqual([got.code, got.stdout, got.stderr], [want.code, want.stdout, want.stderr]);
    writeFileSync(join(dir, 'natgw_nodes'), '10.1.0.1\n10.1.0.3 leader-only\n');
    const bad = await ours('natgw', 'leader');
    assert.equal(bad.code, reference('natgw', 'leader').code);
    assert.match(bad.stderr, /ctdb_natgw: Invalid options "leader-only" in ".*natgw_nodes" line 2/);
    writeFileSync(join(dir, 'natgw_nodes'), '10.1.0.1\n10.1.0.2\tfollower-only\n10.1.0.3\n');
  });

  test('wrong argument count prints usage and exits 1', async () => {
    let stdout = '';
    const io = { out: (t: string) => void (stdout += t), err: () => undefined };
    assert.equal(await main(['natgw'], io, env), 1);
    assert.match(stdout, /natgw\s+leader\|list\|status\s+show natgw configuration/);
  });
});
