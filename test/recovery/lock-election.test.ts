// LockElection's states and loss rule with a scripted mutex (in the daemon: ClusterMutex over a
// real helper — see lock-election-real.test.ts for that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LockElection, type MutexLike } from '../../runtime/recovery/lock-election.js';
import { MutexStatus } from '../../runtime/cluster-lock/index.js';
import { UNKNOWN_PNN } from '../../runtime/protocol/constants.js';

class ScriptedMutex implements MutexLike {
  released = false;
  readonly pid = 4242;
  private settle!: (r: { status: MutexStatus }) => void;
  private lose!: (reason: string) => void;
  readonly result = new Promise<{ status: MutexStatus }>((r) => (this.settle = r));
  private readonly lost = new Promise<string>((r) => (this.lose = r));
  answer(status: MutexStatus): void {
    this.settle({ status });
  }
  die(): void {
    this.lose('helper exited');
  }
  release(): void {
    this.released = true;
  }
  whenLost(): Promise<string> {
    return this.lost;
  }
}

function rig() {
  const mutexes: ScriptedMutex[] = [];
  const forced: string[] = [];
  const leaders: number[] = [];
  let canLead = true;
  const election = new LockElection(
    {
      ownPnn: 3,
      canBeLeader: () => canLead,
      forceElection: (r) => forced.push(r),
      leaderChanged: (l) => leaders.push(l),
      log: { info() {}, warn() {}, error() {} },
    },
    {
      argv: ['helper'],
      take: () => {
        const m = new ScriptedMutex();
        mutexes.push(m);
        return m;
      },
    },
  );
  return { election, mutexes, forced, leaders, setCanLead: (c: boolean) => (canLead = c) };
}

const flush = () => new Promise((r) => setImmediate(r));

test('taking the lock makes this node leader; holding it, a new election does not re-take', async () => {
  const r = rig();
  const p = r.election.elect();
  assert.equal(r.election.state, 'contending');
  r.mutexes[0]!.answer(MutexStatus.Held);
  assert.equal(await p, 'leading');
  assert.equal(r.election.leader, 3);
  assert.equal(await r.election.elect(), 'leading');
  assert.equal(r.mutexes.length, 1);
});

test('contention, timeout or error leave a follower with leader UNKNOWN', async () => {
  for (const status of [MutexStatus.Contended, MutexStatus.Timeout, MutexStatus.Error]) {
    const r = rig();
    r.election.adoptLeader(1);
    const p = r.election.elect();
    assert.equal(r.election.leader, UNKNOWN_PNN, 'the election clears the leader');
    r.mutexes[0]!.answer(status);
    assert.equal(await p, 'follower');
    assert.equal(r.mutexes[0]!.released, true);
    r.election.adoptLeader(1);
    assert.equal(r.election.leader, 1, 'the winner is learnt from its broadcast');
  }
});

test('loss rule: the helper going away loses the lock and forces an election', async () => {
  const r = rig();
  const p = r.election.elect();
  r.mutexes[0]!.answer(MutexStatus.Held);
  await p;
  r.election.adoptLeader(1);
  assert.equal(r.election.leader, 3, 'a lock holder ignores other leader claims');
  r.mutexes[0]!.die();
  await flush();
  assert.equal(r.election.state, 'follower');
  assert.equal(r.election.leader, UNKNOWN_PNN);
  assert.deepEqual(r.forced, ['cluster lock lost']);
});

test('a node that can no longer lead drops the lock; no election is forced by the release', async () => {
  const r = rig();
  const p = r.election.elect();
  r.mutexes[0]!.answer(MutexStatus.Held);
  await p;
  r.setCanLead(false);
  r.election.checkEligibility();
  assert.equal(r.election.state, 'ineligible');
  assert.equal(r.mutexes[0]!.released, true);
  assert.equal(r.election.leader, UNKNOWN_PNN);
  r.mutexes[0]!.die(); // the helper exits after SIGTERM: not a loss
  await flush();
  assert.deepEqual(r.forced, []);
  assert.equal(await r.election.elect(), 'ineligible');
  assert.equal(r.mutexes.length, 1, 'an ineligible node does not try the lock');
  r.setCanLead(true);
  r.election.checkEligibility();
  assert.equal(r.election.state, 'follower');
});

test('standing down or stopping during a take discards the lock if it arrives', async () => {
  const r = rig();
  const p = r.election.elect();
  r.election.standDown('test');
  r.mutexes[0]!.answer(MutexStatus.Held);
  assert.equal(await p, 'follower');
  assert.equal(r.mutexes[0]!.released, true);
  assert.equal(r.election.holdsLock, false);

  const s = rig();
  const q = s.election.elect();
  s.election.stop();
  s.mutexes[0]!.answer(MutexStatus.Held);
  assert.equal(await q, 'stopped');
  assert.equal(await s.election.elect(), 'stopped');
});

test('losing the right to lead while the take runs releases the lock at once', async () => {
  const r = rig();
  const p = r.election.elect();
  r.setCanLead(false);
  r.mutexes[0]!.answer(MutexStatus.Held);
  assert.equal(await p, 'ineligible');
  assert.equal(r.mutexes[0]!.released, true);
});
