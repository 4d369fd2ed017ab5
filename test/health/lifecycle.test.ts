// init/setup failures are fatal; startup is retried every 5 s. Fake clock and scripted eventd
// stand in for the daemon; the wired daemon is exercised end to end by the cluster tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventGate } from '../../runtime/health/event-gate.js';
import { FatalEventError, runFatalEvent, StartupRetry } from '../../runtime/health/lifecycle.js';
import { ETIMEDOUT } from '../../runtime/health/errno.js';
import { RecoveryMode } from '../../runtime/protocol/constants.js';
import { FakeClock } from './fake-clock.js';

const gateWith = (results: number[], mode: number = RecoveryMode.NORMAL) =>
  new EventGate({
    runner: { run: () => Promise.resolve(results.shift() ?? 0) },
    recoveryMode: () => mode,
    log: { warn() {}, error() {} },
  });

test('init or setup failing (a timeout included) is fatal; success notifies', async () => {
  const sent: string[] = [];
  await assert.rejects(
    runFatalEvent(gateWith([1]), 'init', (e) => sent.push(e)),
    (err) => {
      assert.ok(err instanceof FatalEventError);
      assert.equal(err.message, 'Failed to run init event');
      return true;
    },
  );
  await assert.rejects(
    runFatalEvent(gateWith([ETIMEDOUT]), 'setup', (e) => sent.push(e)),
    {
      message: 'Failed to run setup event',
    },
  );
  assert.equal(sent.length, 0);
  await runFatalEvent(gateWith([0]), 'setup', (e) => sent.push(e));
  assert.deepEqual(sent, ['setup']);
});

test('startup is retried every 5 s until it succeeds', async () => {
  const clock = new FakeClock();
  let succeededAt: number | undefined;
  const start = clock.now();
  const retry = new StartupRetry({
    clock,
    gate: gateWith([1, ETIMEDOUT, 1, 0]),
    readyForStartup: () => true,
    onSuccess: () => (succeededAt = clock.now() - start),
    log: { warn() {} },
  });
  retry.start();
  await clock.settle();
  assert.equal(retry.attempts, 1);
  await clock.advance(14_999);
  assert.equal(succeededAt, undefined);
  assert.equal(retry.attempts, 3);
  await clock.advance(1);
  assert.equal(succeededAt, 15_000);
  assert.equal(retry.attempts, 4);
  await clock.advance(60_000);
  assert.equal(retry.attempts, 4);
});

test('startup refused in recovery mode is retried too', async () => {
  const clock = new FakeClock();
  let mode: number = RecoveryMode.ACTIVE;
  let ok = false;
  const retry = new StartupRetry({
    clock,
    gate: new EventGate({
      runner: { run: () => Promise.resolve(0) },
      recoveryMode: () => mode,
      log: { warn() {}, error() {} },
    }),
    readyForStartup: () => true,
    onSuccess: () => (ok = true),
    log: { warn() {} },
  });
  retry.start();
  await clock.advance(5_000);
  assert.equal(ok, false);
  mode = RecoveryMode.NORMAL;
  await clock.advance(5_000);
  assert.equal(ok, true);
});

test('startup waits, 1 s at a time, for the STARTUP runstate', async () => {
  const clock = new FakeClock();
  let ready = false;
  let ok = false;
  const retry = new StartupRetry({
    clock,
    gate: gateWith([0]),
    readyForStartup: () => ready,
    onSuccess: () => (ok = true),
    log: { warn() {} },
  });
  retry.start();
  await clock.advance(3_000);
  assert.equal(retry.attempts, 0);
  ready = true;
  await clock.advance(999);
  assert.equal(ok, false);
  await clock.advance(1);
  assert.equal(ok, true);
  assert.equal(retry.attempts, 1);
});
