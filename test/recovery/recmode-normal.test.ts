// The SET_RECMODE→NORMAL lock check with the real fcntl helper: while a leader holds the lock
// the check passes (contention); if nobody holds it, this node taking it is the coherence error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ourHelperCommand } from '../../runtime/cluster-lock/index.js';
import { LockElection } from '../../runtime/recovery/lock-election.js';
import { checkBeforeRecmodeNormal } from '../../runtime/recovery/recmode-normal.js';

const dir = mkdtempSync(join(tmpdir(), 'recmode-normal-'));
const argv = [...ourHelperCommand('ctdb_mutex_fcntl_helper'), join(dir, 'reclock')];
const quiet = { info() {}, warn() {}, error() {} };
let leader: LockElection | undefined;

after(() => {
  leader?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('no lock configured: nothing to check', async () => {
  assert.deepEqual(await checkBeforeRecmodeNormal(undefined), { ok: true });
});

test(
  'nobody holds the lock: taking it during the check is the coherence error',
  { timeout: 30_000 },
  async () => {
    const r = await checkBeforeRecmodeNormal(argv);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /probably a cluster filesystem lock coherence problem/);
  },
);

test(
  'the leader holds the lock: the check sees contention and passes',
  { timeout: 30_000 },
  async () => {
    leader = new LockElection(
      { ownPnn: 0, canBeLeader: () => true, forceElection: () => undefined, log: quiet },
      { argv, takeTimeoutMs: 20_000, onStderr: () => undefined },
    );
    assert.equal(await leader.elect(), 'leading');
    assert.deepEqual(await checkBeforeRecmodeNormal(argv, { onStderr: () => undefined }), {
      ok: true,
    });
    assert.equal(leader.holdsLock, true, 'the check did not disturb the leader');
  },
);
