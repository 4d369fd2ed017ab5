// The one table of CTDB 4.17's tunables. Row order is the order `listvars` prints (and the
// order LIST_TUNABLES returns). Defaults, get/set, the tunables file and listvars derive from
// it; the GET_ALL_TUNABLES struct order is the protocol layer's TUNABLE_LIST_ORDER.

export interface TunableDefinition {
  readonly name: string;
  readonly defaultValue: number;
  /** Accepted by get/set (with a warning) but rejected in files and not listed. */
  readonly obsolete: boolean;
  readonly meaning: string;
}

type Row = readonly [name: string, value: number, obsolete: boolean, meaning: string];

const ROWS: readonly Row[] = [
  ['MaxRedirectCount', 3, true, 'obsolete'],
  ['SeqnumInterval', 1000, false, 'ms between seqnum-change broadcasts'],
  ['ControlTimeout', 60, false, 'default control timeout (s)'],
  ['TraverseTimeout', 20, false, 'traverse timeout (s)'],
  ['KeepaliveInterval', 5, false, 'keepalive period (s)'],
  ['KeepaliveLimit', 5, false, 'silent keepalive intervals before a node is DISCONNECTED'],
  ['RecoverTimeout', 30, false, 'timeout of recovery controls (s)'],
  ['RecoverInterval', 1, false, 'recovery daemon loop period (s)'],
  ['ElectionTimeout', 3, false, 'election round length (s)'],
  ['TakeoverTimeout', 9, false, 'takeover stage timeout (s)'],
  ['MonitorInterval', 15, false, 'maximum monitor period (s)'],
  ['TickleUpdateInterval', 20, false, 'tickle-list sync period (s)'],
  ['EventScriptTimeout', 30, false, 'timeout of each event (s)'],
  ['MonitorTimeoutCount', 20, false, 'consecutive monitor timeouts before UNHEALTHY'],
  ['EventScriptUnhealthyOnTimeout', 0, true, 'obsolete'],
  ['RecoveryGracePeriod', 120, false, 'forgive ban credits older than this (s)'],
  ['RecoveryBanPeriod', 300, false, 'ban length (s)'],
  ['DatabaseHashSize', 100001, false, 'TDB hash size'],
  ['DatabaseMaxDead', 5, false, 'TDB max dead records'],
  ['RerecoveryTimeout', 10, false, 'recoveries suppressed for this long after one (s)'],
  ['EnableBans', 1, false, '0 = ban requests are accepted but ignored'],
  ['DeterministicIPs', 0, true, 'obsolete'],
  ['LCP2PublicIPs', 1, true, 'obsolete'],
  ['ReclockPingPeriod', 60, true, 'obsolete'],
  ['NoIPFailback', 0, false, 'no rebalancing onto nodes that become healthy'],
  ['DisableIPFailover', 0, true, 'obsolete'],
  ['VerboseMemoryNames', 0, false, 'debug: verbose talloc names'],
  ['RecdPingTimeout', 60, false, 'recovery daemon ping timeout (s)'],
  ['RecdFailCount', 10, false, 'missed recovery daemon pings before a restart'],
  ['LogLatencyMs', 0, false, 'log operations slower than this (ms)'],
  ['RecLockLatencyMs', 1000, false, 'log cluster-lock checks slower than this (ms)'],
  ['RecoveryDropAllIPs', 120, false, 'release all IPs if in recovery this long (s)'],
  ['VerifyRecoveryLock', 1, true, 'obsolete'],
  ['VacuumInterval', 10, false, 'vacuum period (s)'],
  ['VacuumMaxRunTime', 120, false, 'vacuum child time limit (s)'],
  ['RepackLimit', 10000, false, 'repack when the freelist is longer than this'],
  ['VacuumLimit', 5000, true, 'obsolete'],
  ['VacuumFastPathCount', 60, false, 'full vacuum every N fast runs'],
  ['MaxQueueDropMsg', 1000000, false, 'queued messages before a client is dropped'],
  ['AllowUnhealthyDBRead', 0, false, 'allow traversing unhealthy persistent DBs'],
  ['StatHistoryInterval', 1, false, 'statistics history granularity (s)'],
  ['DeferredAttachTO', 120, false, 'how long an attach deferred by recovery waits (s)'],
  ['AllowClientDBAttach', 1, false, '0 = clients may not attach databases'],
  ['RecoverPDBBySeqNum', 1, true, 'obsolete'],
  ['DeferredRebalanceOnNodeAdd', 300, true, 'obsolete'],
  ['FetchCollapse', 1, false, 'collapse concurrent fetches of one record'],
  ['HopcountMakeSticky', 50, false, 'hop count that makes a record sticky'],
  ['StickyDuration', 600, false, 'sticky record duration (s)'],
  ['StickyPindown', 200, false, 'sticky record pin-down (ms)'],
  ['NoIPTakeover', 0, false, 'never move IPs to other nodes'],
  ['DBRecordCountWarn', 100000, false, 'record count warning threshold during recovery'],
  ['DBRecordSizeWarn', 10000000, false, 'record size warning threshold'],
  ['DBSizeWarn', 100000000, false, 'database size warning threshold'],
  ['PullDBPreallocation', 10485760, false, 'recovery pull buffer preallocation (bytes)'],
  ['NoIPHostOnAllDisabled', 1, true, 'obsolete'],
  ['Samba3AvoidDeadlocks', 0, true, 'obsolete'],
  ['TDBMutexEnabled', 1, true, 'obsolete'],
  ['LockProcessesPerDB', 200, false, 'lock helper processes per database'],
  ['RecBufferSizeLimit', 1000000, false, 'record buffer chunk size (bytes)'],
  ['QueueBufferSize', 1024, false, 'socket read size (bytes)'],
  ['IPAllocAlgorithm', 2, false, '0 deterministic, 1 non-deterministic, 2 LCP2'],
  ['AllowMixedVersions', 0, false, 'skip the keepalive version check'],
];

export const TUNABLES: readonly TunableDefinition[] = ROWS.map(
  ([name, defaultValue, obsolete, meaning]) => ({ name, defaultValue, obsolete, meaning }),
);

const BY_LOWER_NAME = new Map(TUNABLES.map((t) => [t.name.toLowerCase(), t]));

/** Looks a tunable up by name, case-insensitively, as CTDB does. */
export function findTunable(name: string): TunableDefinition | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

/** The names `listvars` prints, in order. */
export function listedTunableNames(): string[] {
  return TUNABLES.filter((t) => !t.obsolete).map((t) => t.name);
}
