// bench/failover: how long clients lose public addresses after a fault, the real CTDB 4.17
// (Debian's ctdbd) against ours, on the same launcher (test/support/fault-cluster.ts: N nodes in
// network namespaces, 2 public addresses per node, a cluster lock file, a TCP service on every
// node). A client-namespace prober connects to every address every 20 ms; a fault's figure is
// the time from the fault until every address has answered again from a node other than the
// one faulted ("client answered"); alongside it, the time until every address was on such a
// node's eth1 ("addresses moved", from the kernel's address notifications), which does not depend
// on the client hearing a gratuitous ARP. Median of RUNS runs per fault and daemon:
//   kill9         kill -9 of a non-leader's ctdbd              (target <= 0.5 s)
//   kill9-leader  kill -9 of the leader's ctdbd                (target <= 2 s), and from the same
//                 runs the time until a survivor broadcasts a new leader   (target <= 2 s)
//   disable       `ctdb disable` on a non-leader               (target <= 0.5 s)
//   sigstop       SIGSTOP of a non-leader's ctdbd, at equal keepalive tunables on both sides
//                 (target: no slower than the real one; CTDB's defaults 5 s x 5 make a run take
//                 ~30 s, --keepalive-interval/--keepalive-limit shorten it)
//
// Run as root:
//   node --import tsx bench/failover.ts [--runs 5] [--nodes 3] [--daemons debian,ours]
//        [--faults kill9,kill9-leader,disable,sigstop] [--keepalive-interval S]
//        [--keepalive-limit N] [--client-timeout S] [--debian-tool] [--json]
// --debian-tool runs `ctdb disable/enable` with Debian's tool against ours too. A daemon that is
// not installed, or a side that fails to start, is skipped with the reason and the rest goes on.
import {
  FAULT_NAMES,
  formatTable,
  parseBenchArgs,
  requireRoot,
  resultsJson,
  runFailoverBench,
} from './support/failover-runs.js';

requireRoot('bench/failover');
const opts = parseBenchArgs(process.argv.slice(2), { faults: FAULT_NAMES });
process.stderr.write(
  `bench/failover: ${opts.runs} runs of ${opts.faults.join(', ')} on ${opts.nodes} nodes, daemons ${opts.daemons.join(', ')}\n`,
);
const results = await runFailoverBench(opts);
process.stdout.write(`\n${formatTable(results, opts)}\n`);
if (opts.json) process.stdout.write(`${JSON.stringify(resultsJson(results))}\n`);
process.exit(0);
