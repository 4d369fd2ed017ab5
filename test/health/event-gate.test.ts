// The event gate against a scripted eventd (the EventRunner the daemon fills with its eventd
// client); the wired daemon is exercised end to end by the cluster tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventGate } from '../../runtime/health/event-gate.js';
import { ETIMEDOUT } from '../../runtime/health/errno.js';
import { RecoveryMode } from '../../runtime/protocol/constants.js';
import type { EventName } from '../../lib/eventscript/events.js';

function rig(status: number) {
  const ran: string[] = [];
  const logs: string[] = [];
  let mode: number = RecoveryMode.NORMAL;
  const gate = new EventGate({
    runner: {
      run: (event: EventName, args: readonly string[]) => {
        ran.push([event, ...args].join(' '));
        return Promise.resolve(status);
      },
    },
    recoveryMode: () => mode,
    log: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
  return { gate, ran, logs, setMode: (m: number) => (mode = m) };
}

test('a wrong argument count is refused before eventd is asked', async () => {
  const r = rig(0);
  assert.deepEqual(await r.gate.run('takeip', ['eth0', '10.0.0.1']), {
    started: false,
    reason: 'bad-arguments',
  });
  assert.deepEqual(await r.gate.run('monitor', ['x']), { started: false, reason: 'bad-arguments' });
  assert.deepEqual(r.ran, []);
  assert.match(r.logs[0] ?? '', /^Bad event script arguments 'eth0 10\.0\.0\.1' for 'takeip'$/);
  const ok = await r.gate.run('takeip', ['eth0', '10.0.0.1', '24']);
  assert.equal(ok.started, true);
  assert.deepEqual(r.ran, ['takeip eth0 10.0.0.1 24']);
});

test('in recovery only init, setup, startrecovery, shutdown, releaseip, ipreallocated run', async () => {
  const r = rig(0);
  r.setMode(RecoveryMode.ACTIVE);
  for (const e of ['monitor', 'startup', 'recovered'] as const) {
    assert.deepEqual(await r.gate.run(e), { started: false, reason: 'in-recovery' });
  }
  assert.deepEqual(await r.gate.run('takeip', ['eth0', '10.0.0.1', '24']), {
    started: false,
    reason: 'in-recovery',
  });
  for (const e of ['init', 'setup', 'startrecovery', 'shutdown', 'ipreallocated'] as const) {
    assert.equal((await r.gate.run(e)).started, true, e);
  }
  assert.equal((await r.gate.run('releaseip', ['eth0', '10.0.0.1', '24'])).started, true);
  assert.ok(r.logs.includes("Refusing to run event 'monitor' while in recovery"));
});

test('timeouts of startrecovery, recovered, takeip, releaseip become success; others stay timeouts', async () => {
  const r = rig(ETIMEDOUT);
  for (const [e, args] of [
    ['startrecovery', []],
    ['recovered', []],
    ['takeip', ['eth0', '10.0.0.1', '24']],
    ['releaseip', ['eth0', '10.0.0.1', '24']],
  ] as const) {
    assert.deepEqual(await r.gate.run(e, args), { started: true, status: 0, timedOut: true }, e);
  }
  assert.deepEqual(await r.gate.run('monitor'), {
    started: true,
    status: ETIMEDOUT,
    timedOut: true,
  });
  assert.deepEqual(await r.gate.run('updateip', ['eth0', 'eth1', '10.0.0.1', '24']), {
    started: true,
    status: ETIMEDOUT,
    timedOut: true,
  });
  assert.ok(r.logs.includes('Ignoring hung script for takeip event'));
});

test('a runner that throws (eventd gone) counts as not started', async () => {
  const gate = new EventGate({
    runner: { run: () => Promise.reject(new Error('connection closed')) },
    recoveryMode: () => RecoveryMode.NORMAL,
    log: { warn() {}, error() {} },
  });
  assert.deepEqual(await gate.run('monitor'), { started: false, reason: 'runner-failed' });
});
