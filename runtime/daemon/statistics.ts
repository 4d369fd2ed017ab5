// The counters of `struct ctdb_statistics` that this daemon keeps, and their wire form
// (STATISTICS control; `ctdb statistics`). Counters for things not implemented yet (calls,
// locks, hop counts, latencies) stay zero.
import { Writer } from '../protocol/cursor.js';
import { timevalFromMs, writeTimeval } from '../protocol/payloads.js';

const MAX_COUNT_BUCKETS = 16;

export class Statistics {
  frozen = 0;
  recovering = 0;
  clientPacketsSent = 0;
  clientPacketsRecv = 0;
  nodePacketsSent = 0;
  nodePacketsRecv = 0;
  keepalivePacketsSent = 0;
  keepalivePacketsRecv = 0;
  node = { reqMessage: 0, reqControl: 0, replyControl: 0 };
  client = { reqMessage: 0, reqControl: 0 };
  timeoutsControl = 0;
  numRecoveries = 0;
  startTime = Date.now();

  reset(): void {
    Object.assign(this, new Statistics());
  }

  encode(numClients: number): Uint8Array {
    const w = new Writer(512);
    const latency = (): void => {
      // struct ctdb_latency_counter: num i32, pad, min/max/total doubles
      w.i32(0).zeros(4).zeros(24);
    };
    w.u32(numClients)
      .u32(this.frozen)
      .u32(this.recovering)
      .u32(this.clientPacketsSent)
      .u32(this.clientPacketsRecv)
      .u32(this.nodePacketsSent)
      .u32(this.nodePacketsRecv)
      .u32(this.keepalivePacketsSent)
      .u32(this.keepalivePacketsRecv);
    // node: req_call, reply_call, req_dmaster, reply_dmaster, reply_error, req_message,
    // req_control, reply_control, req_tunnel
    w.u32(0).u32(0).u32(0).u32(0).u32(0);
    w.u32(this.node.reqMessage).u32(this.node.reqControl).u32(this.node.replyControl).u32(0);
    // client: req_call, req_message, req_control, req_tunnel
    w.u32(0).u32(this.client.reqMessage).u32(this.client.reqControl).u32(0);
    // timeouts: call, control, traverse
    w.u32(0).u32(this.timeoutsControl).u32(0);
    w.zeros(4);
    latency(); // reclock.ctdbd
    latency(); // reclock.recd
    w.u32(0).u32(0).u32(0).u32(0); // locks: num_calls, num_current, num_pending, num_failed
    latency(); // locks.latency
    w.zeros(4 * MAX_COUNT_BUCKETS); // locks.buckets
    // total_calls, pending_calls, childwrite_calls, pending_childwrite_calls, memory_used,
    // __last_counter, max_hop_count
    w.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0);
    w.zeros(4 * MAX_COUNT_BUCKETS); // hop_count_bucket
    w.zeros(4);
    latency(); // call_latency
    latency(); // childwrite_latency
    w.u32(this.numRecoveries).zeros(4);
    writeTimeval(w, timevalFromMs(this.startTime));
    writeTimeval(w, timevalFromMs(Date.now()));
    w.u32(0).u32(0); // total_ro_delegations, total_ro_revokes
    return w.finish();
  }
}
