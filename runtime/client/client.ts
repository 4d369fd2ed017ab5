// Typed calls of ctdbd controls over a CtdbConnection, with CTDB's result conventions: some
// controls answer in the reply status (PNN, PID, PING, recovery mode), others in a payload.
// Failures are ControlTransportError (no usable reply) or ControlStatusError (non-zero status).
import { Control } from '../protocol/controls.js';
import { DestNode } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import type { ReplyControl } from '../protocol/packets.js';
import {
  banStatePayload,
  ifaceListPayload,
  nodeFlagChangePayload,
  nodeMapPayload,
  stringPayload,
  stringnPayload,
  tunableListPayload,
  tunablePayload,
  u32Payload,
  uptimePayload,
  varListPayload,
  vnnMapPayload,
  type BanState,
  type Iface,
  type Codec,
  type NodeFlagChange,
  type NodeMap,
  type TunableList,
  type Uptime,
  type VnnMap,
} from '../protocol/payloads.js';
import { CtdbConnection, type ConnectionOptions, type MessageHandler } from './connection.js';
import { ControlStatusError, ControlTransportError, Errno } from './errors.js';
import { ctdbdSocketPath } from './socket-path.js';

export interface ClientOptions extends ConnectionOptions {
  /** Per-control timeout in ms (the tool's `-t`, default 10 s); 0 = already expired. */
  readonly timeoutMs?: number;
}

export class CtdbClient {
  private timeoutMs: number;

  private constructor(
    readonly connection: CtdbConnection,
    opts: ClientOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /**
   * Connects to ctdbd (path from `ctdbdSocketPath(env)` unless given) and learns this node's
   * PNN with GET_PNN, as CTDB's client library does on start.
   */
  static async connect(
    pathOrEnv: string | NodeJS.ProcessEnv,
    opts: ClientOptions = {},
  ): Promise<CtdbClient> {
    const path = typeof pathOrEnv === 'string' ? pathOrEnv : ctdbdSocketPath(pathOrEnv);
    const conn = await CtdbConnection.open(path, opts);
    const client = new CtdbClient(conn, opts);
    try {
      conn.pnn = await client.statusOf(
        Control.GET_PNN,
        DestNode.CURRENT_NODE,
        undefined,
        Number.POSITIVE_INFINITY,
      );
    } catch (err) {
      conn.close();
      throw err;
    }
    return client;
  }

  get pnn(): number {
    return this.connection.pnn;
  }

  close(): void {
    this.connection.close();
  }

  // -------------------------------------------------------------------------------------------
  // Generic helpers

  /** Sends a control; rejects on transport failure; returns the reply whatever its status. */
  async raw(
    opcode: number,
    destnode: number,
    data?: Uint8Array,
    extra: { srvid?: bigint; flags?: number; timeoutMs?: number } = {},
  ): Promise<ReplyControl> {
    return this.connection.control({
      opcode,
      destnode,
      ...(data === undefined ? {} : { data }),
      ...(extra.srvid === undefined ? {} : { srvid: extra.srvid }),
      ...(extra.flags === undefined ? {} : { flags: extra.flags }),
      timeoutMs: extra.timeoutMs ?? this.timeoutMs,
    });
  }

  /** A control whose success is status 0 and whose output (if any) is a payload. */
  private async call<T>(
    opcode: number,
    destnode: number,
    data: Uint8Array | undefined,
    reply: Codec<T>,
  ): Promise<T>;
  private async call(opcode: number, destnode: number, data?: Uint8Array): Promise<void>;
  private async call<T>(
    opcode: number,
    destnode: number,
    data?: Uint8Array,
    reply?: Codec<T>,
  ): Promise<T | undefined> {
    const r = await this.raw(opcode, destnode, data);
    if (r.status !== 0) throw new ControlStatusError(opcode, destnode, r.status, r.errorMessage);
    if (reply === undefined) return undefined;
    try {
      return reply.decode(r.data);
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new ControlTransportError(opcode, destnode, Errno.EPROTO);
      }
      throw err;
    }
  }

  /** A control that answers in its status (non-negative); a negative status is a failure. */
  private async statusOf(
    opcode: number,
    destnode: number,
    data?: Uint8Array,
    timeoutMs?: number,
  ): Promise<number> {
    const r = await this.raw(opcode, destnode, data, timeoutMs === undefined ? {} : { timeoutMs });
    if (r.status < 0) throw new ControlStatusError(opcode, destnode, r.status, r.errorMessage);
    return r.status;
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  /** Registers `srvid` with ctdbd and routes its messages to `handler`. */
  async setMessageHandler(srvid: bigint, handler: MessageHandler): Promise<void> {
    this.connection.addHandler(srvid, handler);
    // REGISTER_SRVID carries the port in the control's srvid field, not in data.
    let r: ReplyControl;
    try {
      r = await this.raw(Control.REGISTER_SRVID, this.pnn, undefined, {
        srvid,
        timeoutMs: Number.POSITIVE_INFINITY,
      });
    } catch (err) {
      this.connection.removeHandler(srvid, handler);
      throw err;
    }
    if (r.status !== 0) {
      this.connection.removeHandler(srvid, handler);
      throw new ControlStatusError(Control.REGISTER_SRVID, this.pnn, r.status, r.errorMessage);
    }
  }

  async removeMessageHandler(srvid: bigint, handler: MessageHandler): Promise<void> {
    this.connection.removeHandler(srvid, handler);
    const r = await this.raw(Control.DEREGISTER_SRVID, this.pnn, undefined, {
      srvid,
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    if (r.status !== 0) {
      throw new ControlStatusError(Control.DEREGISTER_SRVID, this.pnn, r.status, r.errorMessage);
    }
  }

  sendMessage(destnode: number, srvid: bigint, data?: Uint8Array): void {
    this.connection.sendMessage(destnode, srvid, data);
  }

  // -------------------------------------------------------------------------------------------
  // Node state

  getPnn(destnode: number): Promise<number> {
    return this.statusOf(Control.GET_PNN, destnode);
  }
  getPid(destnode: number): Promise<number> {
    return this.statusOf(Control.GET_PID, destnode);
  }
  /** Number of clients connected to the node's daemon. */
  ping(destnode: number): Promise<number> {
    return this.statusOf(Control.PING, destnode);
  }
  getRecmode(destnode: number): Promise<number> {
    return this.statusOf(Control.GET_RECMODE, destnode);
  }
  setRecmode(destnode: number, mode: number): Promise<void> {
    return this.call(Control.SET_RECMODE, destnode, u32Payload.encode(mode));
  }
  getNodemap(destnode: number): Promise<NodeMap> {
    return this.call(Control.GET_NODEMAP, destnode, undefined, nodeMapPayload);
  }
  getNodesFile(destnode: number): Promise<NodeMap> {
    return this.call(Control.GET_NODES_FILE, destnode, undefined, nodeMapPayload);
  }
  getVnnmap(destnode: number): Promise<VnnMap> {
    return this.call(Control.GETVNNMAP, destnode, undefined, vnnMapPayload);
  }
  getRunstate(destnode: number): Promise<number> {
    return this.call(Control.GET_RUNSTATE, destnode, undefined, u32Payload);
  }
  uptime(destnode: number): Promise<Uptime> {
    return this.call(Control.UPTIME, destnode, undefined, uptimePayload);
  }
  getCapabilities(destnode: number): Promise<number> {
    return this.call(Control.GET_CAPABILITIES, destnode, undefined, u32Payload);
  }
  getDebug(destnode: number): Promise<number> {
    return this.call(Control.GET_DEBUG, destnode, undefined, u32Payload);
  }
  setDebug(destnode: number, level: number): Promise<void> {
    return this.call(Control.SET_DEBUG, destnode, u32Payload.encode(level));
  }
  async getReclockFile(destnode: number): Promise<string | undefined> {
    return this.call(Control.GET_RECLOCK_FILE, destnode, undefined, stringPayload);
  }
  setLmasterRole(destnode: number, on: boolean): Promise<void> {
    return this.call(Control.SET_LMASTERROLE, destnode, u32Payload.encode(on ? 1 : 0));
  }
  setLeaderRole(destnode: number, on: boolean): Promise<void> {
    return this.call(Control.SET_RECMASTERROLE, destnode, u32Payload.encode(on ? 1 : 0));
  }
  disableNode(destnode: number): Promise<void> {
    return this.call(Control.DISABLE_NODE, destnode);
  }
  enableNode(destnode: number): Promise<void> {
    return this.call(Control.ENABLE_NODE, destnode);
  }
  stopNode(destnode: number): Promise<void> {
    return this.call(Control.STOP_NODE, destnode);
  }
  continueNode(destnode: number): Promise<void> {
    return this.call(Control.CONTINUE_NODE, destnode);
  }
  setBanState(destnode: number, state: BanState): Promise<void> {
    return this.call(Control.SET_BAN_STATE, destnode, banStatePayload.encode(state));
  }
  getBanState(destnode: number): Promise<BanState> {
    return this.call(Control.GET_BAN_STATE, destnode, undefined, banStatePayload);
  }
  modifyFlags(destnode: number, change: NodeFlagChange): Promise<void> {
    return this.call(Control.MODIFY_FLAGS, destnode, nodeFlagChangePayload.encode(change));
  }
  reloadNodesFile(destnode: number): Promise<void> {
    return this.call(Control.RELOAD_NODES_FILE, destnode);
  }
  getIfaces(destnode: number): Promise<readonly Iface[]> {
    return this.call(Control.GET_IFACES, destnode, undefined, ifaceListPayload);
  }
  /** SHUTDOWN goes out with NOREPLY, as CTDB sends it: done once written. */
  shutdown(destnode: number): Promise<void> {
    return this.connection.controlNoReply({ opcode: Control.SHUTDOWN, destnode });
  }

  // -------------------------------------------------------------------------------------------
  // Tunables

  listTunables(destnode: number): Promise<readonly string[]> {
    return this.call(Control.LIST_TUNABLES, destnode, undefined, varListPayload);
  }
  getTunable(destnode: number, name: string): Promise<number> {
    return this.call(Control.GET_TUNABLE, destnode, stringnPayload.encode(name), u32Payload);
  }
  /** Resolves `'obsolete'` when the daemon answers status 1 (an obsolete tunable). */
  async setTunable(destnode: number, name: string, value: number): Promise<'ok' | 'obsolete'> {
    const r = await this.raw(Control.SET_TUNABLE, destnode, tunablePayload.encode({ name, value }));
    if (r.status === 1) return 'obsolete';
    if (r.status !== 0) {
      throw new ControlStatusError(Control.SET_TUNABLE, destnode, r.status, r.errorMessage);
    }
    return 'ok';
  }
  getAllTunables(destnode: number): Promise<TunableList> {
    return this.call(Control.GET_ALL_TUNABLES, destnode, undefined, tunableListPayload);
  }
}
