// bench/leader-failover: time to a new leader after kill -9 of the leader's ctdbd, the real
// CTDB 4.17 (Debian's ctdbd, default tunables, a cluster lock file) against ours, on the same
// launcher (test/support/fault-cluster.ts). The new leader is seen as CTDB's own clients see it:
// the first LEADER broadcast naming another node, received on a survivor's socket (what
// `ctdb leader` waits for). Median of RUNS runs; the same runs also time how long the public
// addresses took to answer again. Target: <= 2 s.
//
// Run as root:
//   node --import tsx bench/leader-failover.ts [--runs 5] [--nodes 3] [--daemons debian,ours] [--json]
import {
  formatTable,
  parseBenchArgs,
  requireRoot,
  resultsJson,
  runFailoverBench,
} from './support/failover-runs.js';

requireRoot('bench/leader-failover');
const opts = parseBenchArgs(process.argv.slice(2), {
  faults: ['kill9-leader'],
  figures: ['new-leader', 'kill9-leader:moved', 'kill9-leader'],
});
process.stderr.write(
  `bench/leader-failover: ${opts.runs} runs on ${opts.nodes} nodes, daemons ${opts.daemons.join(', ')}\n`,
);
const results = await runFailoverBench(opts);
process.stdout.write(`\n${formatTable(results, opts)}\n`);
if (opts.json) process.stdout.write(`${JSON.stringify(resultsJson(results))}\n`);
process.exit(0);
