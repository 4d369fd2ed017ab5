// do_recovery against fake ClusterControls (in the daemon: multi-node controls over recoverd's
// client connection); exercised end to end once wired into ctdbd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recoverer, type ClusterControls } from '../../runtime/recovery/do-recovery.js';
import { BanCredits } from '../../runtime/banning/credits.js';
import { Capability, CAPABILITIES_DEFAULT, NodeFlag } from '../../runtime/protocol/constants.js';
import type { NodeEntry, VnnMap } from '../../runtime/recovery/types.js';
import { FakeClock } from '../health/fake-clock.js';

const known = { isKnownNode: (pnn: number) => pnn < 4, selfInactive: () => false };

function rig(
  opts: {
    nodemap?: NodeEntry[];
    lockHeld?: boolean;
    caps?: Record<number, number>;
    failAt?: string;
  } = {},
) {
  const clock = new FakeClock();
  const log: string[] = [];
  const calls: string[] = [];
  let leader = true;
  const nodemap = opts.nodemap ?? [
    { pnn: 0, flags: 0 },
    { pnn: 1, flags: 0 },
    { pnn: 2, flags: 0 },
  ];
  const credits = new BanCredits({ clock, recoveryGracePeriod: () => 120, ...known });
  const rec = (name: string) => {
    calls.push(name);
    if (opts.failAt === name) return Promise.reject(new Error(`${name} failed on node 2`));
    return Promise.resolve();
  };
  let vnn: VnnMap | undefined;
  const controls: ClusterControls = {
    getNodemap: () => Promise.resolve(nodemap),
    getCapabilities: (pnns) =>
      Promise.resolve(new Map(pnns.map((p) => [p, opts.caps?.[p] ?? CAPABILITIES_DEFAULT]))),
    pushFlags: (pnn, flags) => rec(`flags ${pnn}=${flags}`),
    banNode: (pnn, s) => rec(`ban ${pnn} ${s}`),
    setRecoveryMode: (pnns, mode) => rec(`recmode ${mode} [${pnns.join(',')}]`),
    startRecovery: (pnns) => rec(`start [${pnns.join(',')}]`),
    setVnnmap: (pnns, v) => {
      vnn = v;
      return rec(`vnnmap [${v.map.join(',')}]`);
    },
    recoverDatabases: () => rec('databases'),
    endRecovery: (pnns) => rec(`end [${pnns.join(',')}]`),
    takeoverRun: () => rec('takeover').then(() => true),
    broadcastReconfigure: () => rec('reconfigure'),
  };
  const r = new Recoverer({
    ownPnn: 0,
    clock,
    controls,
    credits,
    isLeader: () => leader,
    canLead: () => true,
    electionInProgress: () => false,
    clusterLock: { configured: true, held: () => opts.lockHeld ?? true },
    rerecoveryTimeout: () => 10,
    recoveryBanPeriod: () => 300,
    random: (() => {
      const seq = [1, 1, 0xdeadbeef];
      return () => seq.shift() ?? 42;
    })(),
    log: { info: (m) => log.push(m), warn: (m) => log.push(m), error: (m) => log.push(m) },
  });
  return { r, calls, log, clock, credits, vnn: () => vnn, setLeader: (l: boolean) => (leader = l) };
}

test('a recovery runs the controls in CTDB’s order with a new generation ≠ 1', async () => {
  const t = rig({
    nodemap: [
      { pnn: 0, flags: 0 },
      { pnn: 1, flags: NodeFlag.STOPPED },
      { pnn: 2, flags: NodeFlag.UNHEALTHY },
    ],
  });
  t.credits.culprit(2, 3);
  const res = await t.r.doRecovery('test');
  assert.equal(res.outcome, 'recovered');
  assert.ok(res.outcome === 'recovered' && res.generation === 0xdeadbeef, 'random 1 was skipped');
  assert.deepEqual(t.calls, [
    'flags 0=0',
    'flags 1=32',
    'flags 2=2',
    'recmode 1 [0,2]',
    'start [0,2]',
    'vnnmap [0,2]',
    'databases',
    'recmode 0 [0,2]',
    'end [0,2]',
    'takeover',
    'reconfigure',
  ]);
  assert.equal(t.r.needRecovery, false);
  assert.equal(t.credits.credits(2), 0, 'credits reset after success');
});

test('RerecoveryTimeout suppresses the next recovery for 10 s', async () => {
  const t = rig();
  assert.equal((await t.r.doRecovery('first')).outcome, 'recovered');
  const second = await t.r.doRecovery('second');
  assert.equal(second.outcome, 'recoveries-disabled');
  assert.equal(t.r.needRecovery, true, 'the main loop will retry');
  await t.clock.advance(10_000);
  assert.equal((await t.r.doRecovery('third')).outcome, 'recovered');
});

test('the vnnmap holds only active LMASTER nodes (the leader alone if none)', async () => {
  const t = rig({ caps: { 1: Capability.RECMASTER } });
  await t.r.doRecovery('x');
  assert.deepEqual(t.vnn()?.map, [0, 2]);
  const t2 = rig({ caps: { 0: 0, 1: 0, 2: 0 } });
  await t2.r.doRecovery('x');
  assert.deepEqual(t2.vnn()?.map, [0]);
});

test('a leader without the cluster lock bans itself instead of recovering', async () => {
  const t = rig({ lockHeld: false });
  const res = await t.r.doRecovery('x');
  assert.equal(res.outcome, 'lock-not-held');
  assert.deepEqual(t.calls, ['ban 0 300']);
});

test('nodes with ≥ 2 × nodes credits are banned first; self-ban aborts', async () => {
  const t = rig();
  t.credits.culprit(1, 6);
  assert.equal((await t.r.doRecovery('x')).outcome, 'recovered');
  assert.equal(t.calls[0], 'ban 1 300');
  const t2 = rig();
  t2.credits.culprit(0, 6);
  assert.equal((await t2.r.doRecovery('x')).outcome, 'banned-self');
});

test('a failing control aborts and leaves need_recovery set; a lost leadership stops it', async () => {
  const t = rig({ failAt: 'databases' });
  const res = await t.r.doRecovery('x');
  assert.equal(res.outcome, 'failed');
  assert.equal(t.r.needRecovery, true);
  assert.ok(!t.calls.includes('end [0,1,2]'));

  const t2 = rig();
  t2.setLeader(false);
  assert.equal((await t2.r.doRecovery('x')).outcome, 'not-leader');
});

test('SRVID_DISABLE_RECOVERIES disables recoveries for its timeout', async () => {
  const t = rig();
  t.r.disableRecoveries(3, 30);
  assert.equal((await t.r.doRecovery('x')).outcome, 'recoveries-disabled');
  await t.clock.advance(30_000);
  assert.equal((await t.r.doRecovery('x')).outcome, 'recovered');
});
