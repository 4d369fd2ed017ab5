// The election with a cluster lock configured (the lock decides), driven through the host
// interface with a scripted lock: who leads, the retries after a lost race, the leader role
// dropped when the node may no longer lead, and the election started when the leader goes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LeaderElection,
  type ElectionHost,
  type LockElector,
} from '../../runtime/election/election.js';
import { silentLogger } from '../../runtime/logging/index.js';

const UNKNOWN = 0xffffffff;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A lock whose takes succeed or fail as the test says. */
class ScriptedLock implements LockElector {
  holdsLock = false;
  attempts = 0;
  available = true;
  checkEligibility(): void {}
  adoptLeader(): void {}
  stop(): void {
    this.holdsLock = false;
  }
  elect(): Promise<'leading' | 'follower'> {
    this.attempts++;
    if (this.holdsLock) return Promise.resolve('leading');
    if (!this.available) return Promise.resolve('follower');
    this.holdsLock = true;
    return Promise.resolve('leading');
  }
}

function setup(pnn: number, lock: ScriptedLock, canLead = { value: true }) {
  const broadcasts: number[] = [];
  const finished: number[] = [];
  let recoveryActive = 0;
  const host: ElectionHost = {
    selfPnn: pnn,
    canBeLeader: () => canLead.value,
    selfFlags: () => 0,
    numConnected: () => 3,
    sendElection: () => assert.fail('no ELECTION messages with a cluster lock'),
    sendLeaderBroadcast: (p) => broadcasts.push(p),
    setRecoveryActiveEverywhere: () => recoveryActive++,
    electionFinished: (l) => finished.push(l),
  };
  const e = new LeaderElection(
    host,
    { leaderTimeout: () => 5, electionTimeout: () => 3, fastStart: true },
    silentLogger(),
    lock,
  );
  return { e, broadcasts, finished, recoveryActive: () => recoveryActive };
}

test('the node that takes the lock leads and says so at once', async () => {
  const lock = new ScriptedLock();
  const { e, broadcasts, finished, recoveryActive } = setup(1, lock);
  e.forceElection();
  await sleep(10);
  assert.equal(e.leader, 1);
  assert.equal(e.inProgress, false);
  assert.equal(e.holdsLock, true);
  assert.deepEqual(broadcasts, [UNKNOWN, 1]);
  assert.deepEqual(finished, [1]);
  assert.equal(recoveryActive(), 1);
  e.stop();
});

test('LEADER(UNKNOWN) from another node makes this node try the lock', async () => {
  const lock = new ScriptedLock();
  const { e } = setup(2, lock);
  e.onLeaderBroadcast(0);
  assert.equal(lock.attempts, 0);
  e.onLeaderBroadcast(UNKNOWN);
  await sleep(10);
  assert.equal(lock.attempts, 1);
  assert.equal(e.leader, 2);
  e.stop();
});

test('a lost race is retried quickly while nobody leads, and stops when a leader speaks', async () => {
  const lock = new ScriptedLock();
  lock.available = false;
  const { e } = setup(0, lock);
  e.forceElection();
  await sleep(1200);
  // One try at once, then retries every half second.
  assert.ok(lock.attempts >= 3, `attempts ${lock.attempts}`);
  e.onLeaderBroadcast(2);
  const after = lock.attempts;
  await sleep(1100);
  assert.equal(lock.attempts, after);
  assert.equal(e.leader, 2);
  e.stop();
});

test('a leader that may no longer lead drops the role and starts the election', async () => {
  const lock = new ScriptedLock();
  const canLead = { value: true };
  const { e, broadcasts } = setup(0, lock, canLead);
  e.forceElection();
  await sleep(10);
  assert.equal(e.leader, 0);
  canLead.value = false;
  lock.holdsLock = false; // the lock module releases it when the node becomes ineligible
  assert.equal(e.checkRole(), true);
  assert.equal(e.leader, UNKNOWN);
  assert.equal(broadcasts.at(-1), UNKNOWN);
  e.stop();
});

test("the leader's connection closing starts an election without waiting for the timeout", async () => {
  const lock = new ScriptedLock();
  lock.available = false;
  const { e, broadcasts } = setup(1, lock);
  e.onLeaderBroadcast(0);
  assert.equal(e.leader, 0);
  e.nodeDisconnected(2); // not the leader: nothing happens
  assert.equal(broadcasts.length, 0);
  lock.available = true;
  e.nodeDisconnected(0);
  await sleep(10);
  assert.deepEqual(broadcasts, [UNKNOWN, 1]);
  assert.equal(e.leader, 1);
  e.stop();
});

test('a claim from another node does not unseat the lock holder', async () => {
  const lock = new ScriptedLock();
  const { e } = setup(1, lock);
  e.forceElection();
  await sleep(10);
  e.onLeaderBroadcast(2);
  assert.equal(e.leader, 1);
  e.stop();
});
