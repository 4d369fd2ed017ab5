// The monitor schedule and health state machine against a fake clock and a scripted eventd.
// These interfaces stand in for the daemon (eventd, flags, notifications); the wired daemon is
// exercised end to end by the cluster tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorScheduler, type MonitorTickResult } from '../../runtime/health/monitor.js';
import type { EventOutcome } from '../../runtime/health/event-gate.js';
import { ECANCELED, ETIMEDOUT } from '../../runtime/health/errno.js';
import { FakeClock } from './fake-clock.js';

const quiet = { info() {}, warn() {}, error() {} };

function rig(results: (number | 'refused')[], opts: { unhealthy?: boolean } = {}) {
  const clock = new FakeClock();
  const node = { normal: true, inactive: false, running: true, frozen: false };
  let unhealthy = opts.unhealthy ?? true;
  const notifications: string[] = [];
  const pushes: boolean[] = [];
  const ticks: MonitorTickResult[] = [];
  const gaps: number[] = [];
  let lastRun = clock.now();
  const mon = new MonitorScheduler({
    clock,
    node: {
      recoveryModeIsNormal: () => node.normal,
      isInactive: () => node.inactive,
      runstateIsRunning: () => node.running,
      allDatabasesFrozen: () => node.frozen,
    },
    runMonitor: (): Promise<EventOutcome> => {
      gaps.push((clock.now() - lastRun) / 1000);
      lastRun = clock.now();
      const r = results.shift() ?? 0;
      return Promise.resolve(
        r === 'refused'
          ? { started: false, reason: 'in-recovery' }
          : { started: true, status: r, timedOut: r === ETIMEDOUT },
      );
    },
    monitorInterval: () => 15,
    monitorTimeoutCount: () => 3,
    isUnhealthy: () => unhealthy,
    setUnhealthy: (u) => (unhealthy = u),
    flagsChanged: (u) => pushes.push(u),
    notify: (e) => notifications.push(e),
    log: quiet,
  });
  mon.onTick = (r) => ticks.push(r);
  return { clock, node, mon, notifications, pushes, ticks, gaps, isUnhealthy: () => unhealthy };
}

test('starts UNHEALTHY, first passing monitor after 2 s makes it healthy, then 5, 10, 15, 15', async () => {
  const r = rig([0, 0, 0, 0, 0, 0]);
  r.mon.start();
  await r.clock.advance(62_000);
  assert.deepEqual(r.gaps, [2, 5, 10, 15, 15, 15]);
  assert.equal(r.isUnhealthy(), false);
  assert.deepEqual(r.notifications, ['healthy']);
  assert.deepEqual(r.pushes, [false]);
  r.mon.stop();
});

test('a healthy node: intervals 2, 2, 4, 8, 15 (doubling capped at MonitorInterval)', async () => {
  const r = rig([], { unhealthy: false });
  r.mon.start();
  await r.clock.advance(47_000);
  assert.deepEqual(r.gaps.slice(0, 6), [2, 2, 4, 8, 15, 15]);
  assert.deepEqual(r.notifications, []);
  r.mon.stop();
});

test('failure while healthy → UNHEALTHY, notification, flags pushed, interval reset to 5', async () => {
  const r = rig([0, 0, 8, 8, 0], { unhealthy: false });
  r.mon.start();
  await r.clock.advance(2_000 + 2_000 + 4_000); // third check fails
  assert.equal(r.isUnhealthy(), true);
  assert.deepEqual(r.notifications, ['unhealthy']);
  assert.deepEqual(r.pushes, [true]);
  assert.equal(r.mon.lastScheduledS, 5);
  await r.clock.advance(5_000 + 10_000); // a second failure changes nothing; then success
  assert.deepEqual(r.notifications, ['unhealthy', 'healthy']);
  assert.deepEqual(r.pushes, [true, false]);
  assert.deepEqual(r.ticks.slice(0, 5), [
    'unchanged',
    'unchanged',
    'became-unhealthy',
    'unchanged',
    'became-healthy',
  ]);
  r.mon.stop();
});

test('timeouts count against MonitorTimeoutCount; any other result resets the count', async () => {
  const r = rig([ETIMEDOUT, ETIMEDOUT, 0, ETIMEDOUT, ETIMEDOUT, ETIMEDOUT], { unhealthy: false });
  r.mon.start();
  await r.clock.advance(2_000 + 2_000 + 4_000 + 8_000 + 15_000);
  assert.deepEqual(r.ticks, [
    'timeout-ignored',
    'timeout-ignored',
    'unchanged',
    'timeout-ignored',
    'timeout-ignored',
  ]);
  assert.equal(r.isUnhealthy(), false);
  await r.clock.advance(15_000);
  assert.equal(r.ticks.at(-1), 'became-unhealthy');
  assert.equal(r.mon.timeoutCount, 3);
  assert.deepEqual(r.notifications, ['unhealthy']);
  r.mon.stop();
});

test('ECANCELED changes nothing', async () => {
  const r = rig([ECANCELED, 8], { unhealthy: false });
  r.mon.start();
  await r.clock.advance(2_000);
  assert.deepEqual(r.ticks, ['cancelled']);
  assert.equal(r.isUnhealthy(), false);
  assert.deepEqual(r.notifications, []);
  r.mon.stop();
});

test('skipped while recovery mode is ACTIVE, INACTIVE, not RUNNING or frozen; rescheduled at the same interval', async () => {
  const r = rig([], { unhealthy: false });
  r.node.normal = false;
  r.mon.start();
  await r.clock.advance(2_000);
  r.node.normal = true;
  r.node.inactive = true;
  await r.clock.advance(2_000);
  r.node.inactive = false;
  r.node.running = false;
  await r.clock.advance(2_000);
  r.node.running = true;
  r.node.frozen = true;
  await r.clock.advance(2_000);
  assert.deepEqual(r.ticks, ['skipped', 'skipped', 'skipped', 'skipped']);
  assert.equal(r.gaps.length, 0);
  r.node.frozen = false;
  await r.clock.advance(2_000);
  assert.deepEqual(r.gaps, [10]);
  r.mon.stop();
});

test('a monitor that cannot be launched is retried in 5 s, with the interval reset to 5', async () => {
  const r = rig(['refused', 0, 0], { unhealthy: false });
  r.mon.start();
  await r.clock.advance(2_000);
  assert.deepEqual(r.ticks, ['launch-failed']);
  assert.equal(r.mon.lastScheduledS, 5);
  await r.clock.advance(5_000);
  assert.equal(r.mon.lastScheduledS, 5);
  await r.clock.advance(5_000);
  assert.equal(r.mon.lastScheduledS, 10);
  r.mon.stop();
});

test('stop() cancels the schedule', async () => {
  const r = rig([], { unhealthy: false });
  r.mon.start();
  r.mon.stop();
  await r.clock.advance(60_000);
  assert.equal(r.gaps.length, 0);
});
