// Ban credits and the ban state against a fake clock; the callbacks stand in for the daemon's
// flags, freeze and IP release (exercised end to end once wired into ctdbd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BanCredits } from '../../runtime/banning/credits.js';
import { BanState, BanStateError } from '../../runtime/banning/ban-state.js';
import { FakeClock } from '../health/fake-clock.js';

const known = { isKnownNode: (pnn: number) => pnn < 4, selfInactive: () => false };

test('credits add up; a node at 2 × nodes is banned once and its credits are zeroed', () => {
  const clock = new FakeClock();
  const credits = new BanCredits({ clock, recoveryGracePeriod: () => 120, ...known });
  credits.culprit(1);
  credits.culprit(1, 4);
  credits.culprit(2);
  assert.deepEqual(credits.takeBans(3), []);
  credits.culprit(1);
  assert.deepEqual(credits.takeBans(3), [{ pnn: 1, credits: 6 }]);
  assert.equal(credits.credits(1), 0);
  assert.equal(credits.credits(2), 1);
  assert.deepEqual(credits.takeBans(3), []);
});

test('credits older than RecoveryGracePeriod are forgiven before new ones are added', async () => {
  const clock = new FakeClock();
  const credits = new BanCredits({ clock, recoveryGracePeriod: () => 120, ...known });
  credits.culprit(0, 5);
  await clock.advance(120_000);
  credits.culprit(0); // exactly at the grace period: kept
  assert.equal(credits.credits(0), 6);
  await clock.advance(120_001);
  credits.culprit(0);
  assert.equal(credits.credits(0), 1);
});

test('the takeover helper’s SRVID_BANNING (num_nodes credits) twice in a row bans the node', () => {
  const credits = new BanCredits({
    clock: new FakeClock(),
    recoveryGracePeriod: () => 120,
    ...known,
  });
  credits.culprit(2, 4);
  assert.deepEqual(credits.takeBans(4), []);
  credits.culprit(2, 4);
  assert.deepEqual(credits.takeBans(4), [{ pnn: 2, credits: 8 }]);
});

test('blame on an unknown node, or by an INACTIVE leader, is dropped', () => {
  let inactive = false;
  const credits = new BanCredits({
    clock: new FakeClock(),
    recoveryGracePeriod: () => 120,
    isKnownNode: (pnn) => pnn < 3,
    selfInactive: () => inactive,
  });
  credits.culprit(7, 10);
  assert.equal(credits.credits(7), 0);
  inactive = true;
  credits.culprit(1, 10);
  assert.equal(credits.credits(1), 0);
  inactive = false;
  credits.culprit(1, 2);
  assert.equal(credits.credits(1), 2);
  assert.equal(credits.lastCulprit, 1);
});

test('a successful recovery resets all credits', () => {
  const credits = new BanCredits({
    clock: new FakeClock(),
    recoveryGracePeriod: () => 120,
    ...known,
  });
  credits.culprit(0, 3);
  credits.culprit(1, 3);
  credits.reset();
  assert.equal(credits.credits(0) + credits.credits(1), 0);
});

function banRig(opts: { enableBans?: number } = {}) {
  const clock = new FakeClock();
  const calls: string[] = [];
  let banned = false;
  let frozen = true;
  const state = new BanState({
    clock,
    ownPnn: 1,
    enableBans: () => opts.enableBans ?? 1,
    recoveryBanPeriod: () => 300,
    setBanned: (b) => {
      banned = b;
      calls.push(b ? 'BANNED' : 'unbanned');
    },
    becomeInactive: () => calls.push('inactive'),
    allDatabasesFrozen: () => frozen,
    log: { info() {}, warn() {} },
  });
  return {
    clock,
    calls,
    state,
    isBanned: () => banned,
    setFrozen: (f: boolean) => (frozen = f),
  };
}

test('SET_BAN_STATE bans for the period, makes the node inactive once, and expires', async () => {
  const r = banRig();
  assert.equal(r.state.setBanState(1, 300), 'banned');
  assert.equal(r.isBanned(), true);
  assert.deepEqual(r.calls, ['BANNED', 'inactive']);
  await r.clock.advance(100_000);
  assert.equal(r.state.remainingS(), 200);
  assert.equal(r.state.setBanState(1, 300), 'extended'); // re-ban restarts the timer, no second become-inactive
  assert.deepEqual(r.calls, ['BANNED', 'inactive', 'BANNED']);
  await r.clock.advance(299_999);
  assert.equal(r.isBanned(), true);
  await r.clock.advance(1);
  assert.equal(r.isBanned(), false);
  assert.equal(r.calls.at(-1), 'unbanned');
});

test('at expiry a node whose databases are not all frozen bans itself for RecoveryBanPeriod', async () => {
  const r = banRig();
  r.state.setBanState(1, 10);
  r.setFrozen(false);
  await r.clock.advance(10_000);
  assert.equal(r.isBanned(), true);
  assert.equal(r.state.remainingS(), 300);
  assert.equal(r.calls.filter((c) => c === 'inactive').length, 1, 'no second become-inactive');
  r.setFrozen(true);
  await r.clock.advance(300_000);
  assert.equal(r.isBanned(), false);
});

test('time 0 unbans; EnableBans=0 ignores; a ban for another pnn is rejected', async () => {
  const r = banRig();
  assert.equal(r.state.setBanState(1, 0), 'not-banned');
  r.state.setBanState(1, 300);
  assert.equal(r.state.setBanState(1, 0), 'unbanned');
  assert.equal(r.isBanned(), false);
  await r.clock.advance(400_000);
  assert.equal(
    r.calls.filter((c) => c === 'unbanned').length,
    1,
    'the cancelled timer did not fire',
  );
  assert.throws(() => r.state.setBanState(2, 300), BanStateError);

  const off = banRig({ enableBans: 0 });
  assert.equal(off.state.setBanState(1, 300), 'ignored');
  assert.equal(off.isBanned(), false);
  assert.deepEqual(off.calls, []);
  assert.equal(off.state.setBanState(1, 0), 'not-banned', 'unban still works with bans disabled');
  assert.equal(off.isBanned(), false);
});
