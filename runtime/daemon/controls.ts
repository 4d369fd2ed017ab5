// The daemon's control handlers: one entry per opcode it implements. Opcodes CTDB 4.17 does not
// implement (obsolete, removed, newer) and opcodes not implemented here yet are answered with
// status -1 and an error text, as ctdbd answers controls it does not know. A malformed payload
// is a ProtocolError, turned into status -1 by the caller; the daemon never stops on one.
import { loadNodesFile } from '../config/nodes-file.js';
import { levelNameFromNumber } from '../logging/index.js';
import { Capability, NodeFlag, RecoveryMode, Runstate } from '../protocol/constants.js';
import { Control, controlLabel, isImplementedIn417 } from '../protocol/controls.js';
import { Reader } from '../protocol/cursor.js';
import type { ReqControl } from '../protocol/packets.js';
import {
  banStatePayload,
  i32Payload,
  nodeFlagChangePayload,
  nodeMapPayload,
  stringPayload,
  u64Payload,
  stringnPayload,
  tunablePayload,
  u32Payload,
  uptimePayload,
  varListPayload,
  vnnMapPayload,
  timevalFromMs,
} from '../protocol/payloads.js';
import { sockAddr } from '../protocol/sockaddr.js';
import { checkBeforeRecmodeNormal } from '../recovery/recmode-normal.js';
import { dispatchIpControl, ipControlOpcodes } from '../takeover/controls.js';
import { listedTunableNames } from '../tunables/table.js';
import type { LocalClient } from './clients.js';
import type { Ctdbd } from './ctdbd.js';

export interface ControlResult {
  readonly status: number;
  readonly data?: Uint8Array;
  readonly errorMessage?: string;
}

export interface ControlContext {
  /** The node that sent the control (ourselves for local clients). */
  readonly srcnode: number;
  /** The local client, when the control came over the Unix socket. */
  readonly client: LocalClient | undefined;
}

type Handler = (
  d: Ctdbd,
  req: ReqControl,
  ctx: ControlContext,
) => ControlResult | Promise<ControlResult>;

const OK: ControlResult = { status: 0 };
const ok = (data: Uint8Array): ControlResult => ({ status: 0, data });
const fail = (errorMessage: string): ControlResult => ({ status: -1, errorMessage });

function nodeMapOf(d: Ctdbd): Uint8Array {
  return nodeMapPayload.encode({
    nodes: d.nodeMap.nodes.map((n) => ({
      pnn: n.pnn,
      flags: n.flags,
      addr: sockAddr(n.address),
    })),
  });
}

function changeOwnFlags(d: Ctdbd, set: number, clear: number): ControlResult {
  const self = d.nodeMap.self;
  d.setSelfFlags((self.flags | set) & ~clear);
  return OK;
}

const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [
    Control.PROCESS_EXISTS,
    (_d, req) => {
      const pid = i32Payload.decode(req.data);
      try {
        process.kill(pid, 0);
        return OK;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM' ? OK : { status: -1 };
      }
    },
  ],
  [Control.PING, (d) => ({ status: d.numClients() })],
  [Control.STATISTICS, (d) => ok(d.stats.encode(d.numClients()))],
  [
    Control.STATISTICS_RESET,
    (d) => {
      d.stats.reset();
      return OK;
    },
  ],
  [Control.GETVNNMAP, (d) => ok(vnnMapPayload.encode(d.vnnmap))],
  [
    Control.SETVNNMAP,
    (d, req) => {
      if (d.recmode !== RecoveryMode.ACTIVE)
        return fail('Attempt to set vnnmap when not in recovery');
      const v = vnnMapPayload.decode(req.data);
      d.vnnmap = { generation: v.generation, map: [...v.map] };
      return OK;
    },
  ],
  [Control.GET_DEBUG, (d) => ok(i32Payload.encode(d.debugLevel))],
  [
    Control.SET_DEBUG,
    (d, req) => {
      const level = u32Payload.decode(req.data);
      d.debugLevel = level;
      d.log.setLevel(levelNameFromNumber(level));
      return OK;
    },
  ],
  [Control.GET_RECMODE, (d) => ({ status: d.recmode })],
  [
    Control.SET_RECMODE,
    (d, req) => {
      const mode = u32Payload.decode(req.data);
      if (mode !== RecoveryMode.NORMAL && mode !== RecoveryMode.ACTIVE)
        return fail(`Invalid recovery mode ${mode}`);
      if (mode !== d.recmode)
        d.log.notice(`Recovery mode set to ${mode === RecoveryMode.NORMAL ? 'NORMAL' : 'ACTIVE'}`);
      d.recmode = mode;
      if (mode === RecoveryMode.NORMAL && d.lockArgv !== undefined) checkLockCoherence(d);
      return OK;
    },
  ],
  [
    Control.REGISTER_SRVID,
    (_d, req, ctx) => {
      ctx.client?.srvids.add(req.srvid);
      return OK;
    },
  ],
  [
    Control.DEREGISTER_SRVID,
    (_d, req, ctx) => {
      if (ctx.client === undefined || !ctx.client.srvids.delete(req.srvid)) return { status: -1 };
      return OK;
    },
  ],
  [Control.GET_PID, () => ({ status: process.pid })],
  [
    Control.REGISTER_NOTIFY,
    (_d, req, ctx) => {
      // ctdb_notify_data: srvid u64, then a u32-length-prefixed blob.
      const r = new Reader(req.data, 'notify_data');
      const srvid = r.u64('srvid');
      const data = r.bytesOf(r.u32('len'), 'data');
      ctx.client?.notify.set(srvid, Uint8Array.from(data));
      return OK;
    },
  ],
  [
    Control.DEREGISTER_NOTIFY,
    (_d, req, ctx) => {
      const srvid = u64Payload.decode(req.data);
      return ctx.client?.notify.delete(srvid) === true ? OK : fail('No such notification');
    },
  ],
  [Control.GET_PNN, (d) => ({ status: d.pnn })],
  [
    Control.SHUTDOWN,
    (d) => {
      setTimeout(() => void d.shutdown(), 10);
      return OK;
    },
  ],
  [Control.STARTUP, () => OK],
  [
    Control.SET_TUNABLE,
    (d, req) => {
      const t = tunablePayload.decode(req.data);
      const r = d.tunables.set(t.name, t.value);
      if (r === 'unknown') return { status: -1 };
      if (r === 'obsolete') {
        d.log.warning(`Setting obsolete tunable "${t.name}"`);
        return { status: 1 };
      }
      return OK;
    },
  ],
  [
    Control.GET_TUNABLE,
    (d, req) => {
      const name = stringnPayload.decode(req.data);
      const v = d.tunables.get(name);
      return v === undefined ? { status: -22 } : ok(u32Payload.encode(v));
    },
  ],
  [Control.LIST_TUNABLES, () => ok(varListPayload.encode(listedTunableNames()))],
  [
    Control.MODIFY_FLAGS,
    (d, req) => {
      const c = nodeFlagChangePayload.decode(req.data);
      if (c.pnn === d.pnn) return OK;
      const n = d.nodeMap.get(c.pnn);
      if (n === undefined) return fail(`No node ${c.pnn}`);
      if ((n.flags & NodeFlag.DISCONNECTED) !== 0) return OK;
      const flags = (c.newFlags & ~NodeFlag.DISCONNECTED) | (n.flags & NodeFlag.DISCONNECTED);
      if (flags !== n.flags) {
        d.log.info(
          `Node ${c.pnn} flags changed from 0x${n.flags.toString(16)} to 0x${flags.toString(16)}`,
        );
        n.flags = flags;
        d.recovery.kick();
      }
      return OK;
    },
  ],
  [Control.GET_ALL_TUNABLES, (d) => ok(d.tunables.toWire())],
  [
    Control.UPTIME,
    (d) =>
      ok(
        uptimePayload.encode({
          currentTime: timevalFromMs(Date.now()),
          ctdbdStartTime: timevalFromMs(d.startTime),
          lastRecoveryStarted: timevalFromMs(d.lastRecoveryStarted),
          lastRecoveryFinished: timevalFromMs(d.lastRecoveryFinished),
        }),
      ),
  ],
  [
    Control.START_RECOVERY,
    async (d) => {
      d.lastRecoveryStarted = Date.now();
      d.stats.numRecoveries++;
      const status = await d.runEvent('startrecovery', []);
      return { status: status === 110 ? 0 : status };
    },
  ],
  [
    Control.END_RECOVERY,
    async (d) => {
      const status = await d.runEvent('recovered', []);
      d.lastRecoveryFinished = Date.now();
      if (d.runstate === Runstate.FIRST_RECOVERY) {
        d.setRunstate('STARTUP');
        d.firstRecoveryCheck();
      }
      return { status: status === 110 ? 0 : status };
    },
  ],
  [
    Control.RELOAD_NODES_FILE,
    (d) => {
      d.reloadNodes(loadNodesFile(d.nodesFile));
      return OK;
    },
  ],
  [Control.GET_CAPABILITIES, (d) => ok(u32Payload.encode(d.capabilities))],
  [Control.RECD_PING, () => OK],
  [Control.GET_NODEMAP, (d) => ok(nodeMapOf(d))],
  [Control.GET_RECLOCK_FILE, (d) => ok(stringPayload.encode(d.config.cluster.clusterLock))],
  [
    Control.STOP_NODE,
    (d) => {
      const r = changeOwnFlags(d, NodeFlag.STOPPED, 0);
      d.becomeInactive();
      return r;
    },
  ],
  [Control.CONTINUE_NODE, (d) => changeOwnFlags(d, 0, NodeFlag.STOPPED)],
  [
    Control.SET_LMASTERROLE,
    (d, req) => {
      const on = u32Payload.decode(req.data) !== 0;
      d.capabilities = on
        ? d.capabilities | Capability.LMASTER
        : d.capabilities & ~Capability.LMASTER;
      d.nodeMap.self.capabilities = d.capabilities;
      return OK;
    },
  ],
  [
    Control.SET_RECMASTERROLE,
    (d, req) => {
      const on = u32Payload.decode(req.data) !== 0;
      d.capabilities = on
        ? d.capabilities | Capability.RECMASTER
        : d.capabilities & ~Capability.RECMASTER;
      d.nodeMap.self.capabilities = d.capabilities;
      d.election.checkRole();
      return OK;
    },
  ],
  [
    Control.SET_BAN_STATE,
    (d, req) => {
      const b = banStatePayload.decode(req.data);
      if (b.pnn !== d.pnn) return fail(`SET_BAN_STATE for node ${b.pnn} sent to node ${d.pnn}`);
      if (d.tunables.value('EnableBans') === 0) {
        d.log.notice('Bans are disabled - ignoring ban of this node');
        return OK;
      }
      d.banTime = b.time;
      d.ban(b.time);
      return OK;
    },
  ],
  [Control.GET_BAN_STATE, (d) => ok(banStatePayload.encode({ pnn: d.pnn, time: d.banTime }))],
  [Control.GET_RUNSTATE, (d) => ok(u32Payload.encode(d.runstate))],
  [
    Control.GET_NODES_FILE,
    (d) => {
      const nodes = loadNodesFile(d.nodesFile);
      return ok(
        nodeMapPayload.encode({
          nodes: nodes.map((n) => ({
            pnn: n.pnn,
            flags: n.deleted ? NodeFlag.DELETED : 0,
            addr: sockAddr(n.address),
          })),
        }),
      );
    },
  ],
  [Control.DISABLE_NODE, (d) => changeOwnFlags(d, NodeFlag.PERMANENTLY_DISABLED, 0)],
  [Control.ENABLE_NODE, (d) => changeOwnFlags(d, 0, NodeFlag.PERMANENTLY_DISABLED)],
  // No databases are attached yet: an empty list, and freezing has nothing to do.
  [Control.GET_DBMAP, () => ok(u32Payload.encode(0))],
  [Control.FREEZE, () => OK],
  [Control.DB_FREEZE, () => OK],
  [Control.DB_THAW, () => OK],
]);

/**
 * CTDB's lock-coherence check on leaving recovery: this node must not be able to take the
 * cluster lock, since the leader holds it. Run in the background so recovery is not slowed by
 * starting a helper; taking the lock is logged and puts the node back into recovery, which
 * makes the leader recover again.
 */
function checkLockCoherence(d: Ctdbd): void {
  if (d.election.holdsLock) return;
  void checkBeforeRecmodeNormal(d.lockArgv).then((r) => {
    if (r.ok) return;
    d.log.error(r.error);
    d.recmode = RecoveryMode.ACTIVE;
  });
}

/** The public-IP controls, answered by the node's NodeIps once it is loaded. */
async function ipControl(d: Ctdbd, req: ReqControl): Promise<ControlResult> {
  if (d.ips === undefined) return fail('Public addresses are not loaded yet');
  const r = await dispatchIpControl(d.ips, req.opcode, req.data, req.flags);
  if (r.status !== 0 && r.error !== undefined)
    d.log.error(`Control ${controlLabel(req.opcode)} failed: ${r.error}`);
  return {
    status: r.status,
    data: r.data,
    ...(r.error !== undefined ? { errorMessage: r.error } : {}),
  };
}

/** True if this daemon answers the opcode (for tests and diagnostics). */
export function handlesControl(opcode: number): boolean {
  return HANDLERS.has(opcode) || ipControlOpcodes.has(opcode);
}

export async function handleControl(
  d: Ctdbd,
  req: ReqControl,
  ctx: ControlContext,
): Promise<ControlResult> {
  if (!isImplementedIn417(req.opcode)) {
    d.log.error(`Unknown control ${controlLabel(req.opcode)} from node ${ctx.srcnode}`);
    return fail(`Unknown control ${req.opcode}`);
  }
  if (ipControlOpcodes.has(req.opcode)) return ipControl(d, req);
  const h = HANDLERS.get(req.opcode);
  if (h === undefined) {
    d.log.warning(`Control ${controlLabel(req.opcode)} is not supported yet`);
    return fail(`Control ${controlLabel(req.opcode)} is not supported`);
  }
  return h(d, req, ctx);
}
