// The message election's win rule and round handling, driven through its host interface.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LeaderElection,
  type ElectionData,
  type ElectionHost,
} from '../../runtime/election/election.js';
import { silentLogger } from '../../runtime/logging/index.js';

function election(pnn: number, opts: { canLead?: boolean; flags?: number } = {}) {
  const sent: ElectionData[] = [];
  const broadcasts: number[] = [];
  const finished: number[] = [];
  const host: ElectionHost = {
    selfPnn: pnn,
    canBeLeader: () => opts.canLead ?? true,
    selfFlags: () => opts.flags ?? 0,
    numConnected: () => 3,
    sendElection: (d) => sent.push(d),
    sendLeaderBroadcast: (p) => broadcasts.push(p),
    setRecoveryActiveEverywhere: () => undefined,
    electionFinished: (l) => finished.push(l),
  };
  const e = new LeaderElection(
    host,
    { leaderTimeout: () => 5, electionTimeout: () => 3, fastStart: true },
    silentLogger(),
  );
  return { e, sent, broadcasts, finished };
}

test('the longest-running node wins; equal start times go to the higher PNN', () => {
  const { e } = election(1);
  e.priorityTime = 1000;
  assert.equal(e.wouldWin({ numConnected: 3, priorityTime: 2000, pnn: 0, nodeFlags: 0 }), true);
  assert.equal(e.wouldWin({ numConnected: 3, priorityTime: 500, pnn: 2, nodeFlags: 0 }), false);
  assert.equal(e.wouldWin({ numConnected: 3, priorityTime: 1000, pnn: 0, nodeFlags: 0 }), true);
  assert.equal(e.wouldWin({ numConnected: 3, priorityTime: 1000, pnn: 2, nodeFlags: 0 }), false);
  // An INACTIVE sender (here BANNED) always loses.
  assert.equal(e.wouldWin({ numConnected: 3, priorityTime: 1, pnn: 2, nodeFlags: 0x08 }), true);
});

test('a node that cannot lead never wins', () => {
  const { e } = election(2, { canLead: false });
  assert.equal(
    e.wouldWin({ numConnected: 3, priorityTime: Date.now() + 1e6, pnn: 0, nodeFlags: 0x08 }),
    false,
  );
});

test('forcing an election broadcasts UNKNOWN, claims the role, and ends after 0.5 s', async () => {
  const { e, sent, broadcasts, finished } = election(0);
  e.forceElection();
  assert.deepEqual(broadcasts, [0xffffffff]);
  assert.equal(sent.length, 1);
  assert.equal(e.inProgress, true);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(e.inProgress, false);
  assert.deepEqual(finished, [0]);
  e.stop();
});

test('losing to another node adopts it as leader', async () => {
  const { e, finished } = election(0);
  e.priorityTime = 5000;
  e.onElectionMessage({ numConnected: 3, priorityTime: 1000, pnn: 2, nodeFlags: 0 });
  assert.equal(e.leader, 2);
  await new Promise((r) => setTimeout(r, 700));
  assert.deepEqual(finished, [2]);
  e.stop();
});
