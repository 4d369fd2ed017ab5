// Recovery: the leader's checks, the recovery itself, and the cluster-lock election.
export type { Fetched, NodeEntry, VnnMap } from './types.js';
export { activeNodes, canBeLeader, isDisconnected, isInactive, lmasterNodes } from './node-sets.js';
export { newGeneration } from './generation.js';
export { leaderChecks } from './leader-checks.js';
export type {
  Blame,
  FlagUpdate,
  LeaderActionKind,
  LeaderDecision,
  LeaderView,
} from './leader-checks.js';
export { Recoverer } from './do-recovery.js';
export type { ClusterControls, RecovererDeps, RecoveryResult } from './do-recovery.js';
export { LockElection, LOCK_TAKE_TIMEOUT_MS } from './lock-election.js';
export type {
  ElectionOutcome,
  LockElectionHost,
  LockElectionOptions,
  LockElectionState,
  MutexLike,
} from './lock-election.js';
export { checkBeforeRecmodeNormal } from './recmode-normal.js';
export type { RecmodeNormalCheck } from './recmode-normal.js';
