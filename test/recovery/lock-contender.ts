// One contender for the lock-election test: a LockElection in its own process (standing in for
// a node's recoverd), using the real fcntl helper on a shared lock file. It prints one JSON line
// per state change. While it is a follower it retries the election every RETRY_MS, standing in
// for the leader timeout that forces an election in the daemon.
// Usage: lock-contender.ts PNN LOCKFILE RECHECK_S
import { ourHelperCommand } from '../../runtime/cluster-lock/index.js';
import { LockElection } from '../../runtime/recovery/lock-election.js';

const RETRY_MS = 300;
const [pnnArg, file, recheck] = process.argv.slice(2);
if (pnnArg === undefined || file === undefined || recheck === undefined) {
  process.stderr.write('usage: lock-contender.ts PNN LOCKFILE RECHECK_S\n');
  process.exit(2);
}
const pnn = Number(pnnArg);
const say = (event: string, extra: object = {}) =>
  process.stdout.write(
    `${JSON.stringify({ pnn, event, state: election.state, leader: election.leader, helperPid: election.helperPid, t: Date.now(), ...extra })}\n`,
  );
const log = {
  info: (m: string) => say('log', { msg: m }),
  warn: (m: string) => say('log', { msg: m }),
  error: (m: string) => say('log', { msg: m }),
};

const election: LockElection = new LockElection(
  {
    ownPnn: pnn,
    canBeLeader: () => true,
    forceElection: (reason) => {
      say('force-election', { reason });
      void run();
    },
    leaderChanged: (leader) => say('leader', { leader }),
    log,
  },
  {
    argv: [...ourHelperCommand('ctdb_mutex_fcntl_helper'), file, recheck],
    takeTimeoutMs: 10_000,
    onStderr: (line) => say('helper-stderr', { line }),
  },
);

async function run(): Promise<void> {
  const outcome = await election.elect();
  say('elected', { outcome });
}

const retry = setInterval(() => {
  if (election.state === 'follower') void run();
}, RETRY_MS);
void run();

process.on('SIGTERM', () => {
  clearInterval(retry);
  election.stop();
  setTimeout(() => process.exit(0), 200);
});
