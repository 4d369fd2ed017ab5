// The leader's main-loop checks as a pure function of fetched cluster state. In the daemon the
// state comes from GET_NODEMAP/GET_RECMODE/GETVNNMAP controls; exercised end to end once wired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderChecks, type LeaderView } from '../../runtime/recovery/leader-checks.js';
import type { Fetched, NodeEntry, VnnMap } from '../../runtime/recovery/types.js';
import { CAPABILITIES_DEFAULT, NodeFlag, RecoveryMode } from '../../runtime/protocol/constants.js';

const ok = <T>(value: T): Fetched<T> => ({ ok: true, value });
const nodes = (flags: number[]): NodeEntry[] => flags.map((f, pnn) => ({ pnn, flags: f }));

/** A consistent 3-node cluster led by node 0, with overrides. */
function view(over: Partial<LeaderView> = {}): LeaderView {
  const nodemap = over.nodemap ?? nodes([0, 0, 0]);
  const vnnmap: VnnMap = { generation: 77, map: [0, 1, 2] };
  return {
    ownPnn: 0,
    nodemap,
    configuredNodeCount: 3,
    remoteNodemaps: new Map(nodemap.map((n) => [n.pnn, ok(nodemap)])),
    capabilities: new Map(nodemap.map((n) => [n.pnn, CAPABILITIES_DEFAULT])),
    vnnmap,
    needRecovery: false,
    recmodes: new Map(nodemap.map((n) => [n.pnn, ok<number>(RecoveryMode.NORMAL)])),
    clusterLock: { configured: true, held: true },
    recoveriesDisabled: false,
    remoteVnnmaps: new Map(nodemap.map((n) => [n.pnn, ok(vnnmap)])),
    takeover: { disabled: false, needed: false, queuedRequests: 0 },
    ...over,
  };
}

test('a consistent cluster needs nothing', () => {
  const d = leaderChecks(view());
  assert.equal(d.action, 'none');
  assert.deepEqual(d.culprits, []);
  assert.deepEqual(d.flagUpdates, []);
});

test('a node map that cannot be fetched blames that node and waits', () => {
  const v = view();
  const remote = new Map(v.remoteNodemaps);
  remote.set(2, { ok: false, error: 'timeout' });
  const d = leaderChecks({ ...v, remoteNodemaps: remote });
  assert.equal(d.action, 'none');
  assert.deepEqual(d.culprits, [{ pnn: 2, credits: 1 }]);
});

test('self-reported flags win and are pushed where a view differs; DISCONNECTED is per observer', () => {
  const v = view();
  const remote = new Map(v.remoteNodemaps);
  remote.set(1, ok(nodes([0, NodeFlag.UNHEALTHY, 0]))); // node 1 says it is unhealthy
  const d = leaderChecks({ ...v, remoteNodemaps: remote });
  assert.deepEqual(d.flagUpdates, [{ pnn: 1, flags: NodeFlag.UNHEALTHY }]);
  assert.equal(d.nodemap[1]?.flags, NodeFlag.UNHEALTHY);

  const v2 = view({ nodemap: nodes([0, 0, NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY]) });
  const d2 = leaderChecks(v2);
  assert.deepEqual(d2.flagUpdates, []);
  assert.equal(d2.nodemap[2]?.flags, NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY);
});

test('a node not in NORMAL recovery mode → recover', () => {
  const v = view();
  const recmodes = new Map(v.recmodes);
  recmodes.set(1, ok<number>(RecoveryMode.ACTIVE));
  const d = leaderChecks({ ...v, recmodes });
  assert.equal(d.action, 'recover');
  assert.match(d.reason, /Node 1 is not in normal recovery mode/);
});

test('need_recovery left over → recover', () => {
  assert.equal(leaderChecks(view({ needRecovery: true })).action, 'recover');
});

test('cluster lock configured but not held → blame self and recover', () => {
  const d = leaderChecks(view({ clusterLock: { configured: true, held: false } }));
  assert.equal(d.action, 'recover');
  assert.deepEqual(d.culprits, [{ pnn: 0, credits: 1 }]);
  assert.equal(
    leaderChecks(view({ clusterLock: { configured: false, held: false } })).action,
    'none',
  );
});

test('vnnmap size and membership mismatches blame the right node', () => {
  const d1 = leaderChecks(view({ vnnmap: { generation: 77, map: [0, 1] } }));
  assert.equal(d1.action, 'recover');
  assert.deepEqual(d1.culprits, [{ pnn: 0, credits: 1 }]);

  const d2 = leaderChecks(view({ vnnmap: { generation: 77, map: [0, 1, 1] } }));
  assert.equal(d2.action, 'recover');
  assert.deepEqual(d2.culprits, [{ pnn: 2, credits: 1 }]);

  // A STOPPED node is not an lmaster: vnnmap of 3 is then wrong.
  const d3 = leaderChecks(view({ nodemap: nodes([0, NodeFlag.STOPPED, 0]) }));
  assert.equal(d3.action, 'recover');
});

test('a peer with another vnnmap generation or node map is blamed', () => {
  const v = view();
  const vnn = new Map(v.remoteVnnmaps);
  vnn.set(2, ok({ generation: 5, map: [0, 1, 2] }));
  const d = leaderChecks({ ...v, remoteVnnmaps: vnn });
  assert.equal(d.action, 'recover');
  assert.deepEqual(d.culprits, [{ pnn: 2, credits: 1 }]);

  const nm = new Map(v.remoteNodemaps);
  nm.set(1, ok(nodes([0, 0])));
  const d2 = leaderChecks({ ...v, remoteNodemaps: nm });
  assert.equal(d2.action, 'recover');
  assert.deepEqual(d2.culprits, [{ pnn: 1, credits: 1 }]);
});

test('while recoveries are disabled the consistency checks are skipped, takeover still runs', () => {
  const d = leaderChecks(
    view({
      recoveriesDisabled: true,
      vnnmap: { generation: 77, map: [0] },
      takeover: { disabled: false, needed: false, queuedRequests: 2 },
    }),
  );
  assert.equal(d.action, 'takeover-run');
  const d2 = leaderChecks(view({ takeover: { disabled: true, needed: true, queuedRequests: 0 } }));
  assert.equal(d2.action, 'none');
});

test('a nodemap size different from the nodes file asks for a reload and nothing else', () => {
  const d = leaderChecks(view({ configuredNodeCount: 4, needRecovery: true }));
  assert.equal(d.reloadNodes, true);
  assert.equal(d.action, 'none');
});

test('the leader’s own flags are authoritative and pushed to a node that sees them differently', () => {
  const v = view({ nodemap: nodes([NodeFlag.PERMANENTLY_DISABLED, 0, 0]) });
  const remote = new Map(v.remoteNodemaps);
  remote.set(2, ok(nodes([0, 0, 0])));
  const d = leaderChecks({ ...v, remoteNodemaps: remote });
  assert.deepEqual(d.flagUpdates, [{ pnn: 0, flags: NodeFlag.PERMANENTLY_DISABLED }]);
});
