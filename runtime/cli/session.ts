// What every `ctdb` command that talks to ctdbd does first, as CTDB 4.17's tool does it in
// process_command(): connect (and say why not), learn the local PNN, resolve and check `-n`,
// refuse `-n` for local-only commands, and listen for the leader's broadcasts. A ToolSession
// then carries the connection and the helpers commands share: the cached node map (with the
// banned-node fallback), control calls that end the command on failure, fresh reply srvids,
// and the message exchanges several commands use (takeover runs, disabling recoveries).
import { networkInterfaces } from 'node:os';
import { CtdbClient } from '../client/client.js';
import {
  ClientError,
  ConnectError,
  ControlStatusError,
  ControlTransportError,
  Errno,
} from '../client/errors.js';
import { ctdbdSocketPath } from '../client/socket-path.js';
import {
  DestNode,
  NodeFlag,
  NODE_FLAGS_INACTIVE,
  Srvid,
  UNKNOWN_PNN,
} from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import {
  disableMessagePayload,
  srvidMessagePayload,
  type Codec,
  type NodeMap,
} from '../protocol/payloads.js';
import { flagsText } from './format/nodemap.js';
import { nodesFilePath, readNodesFile } from './format/nodes-file.js';
import { commandHelp, commandUsage } from './format/usage.js';
import type { Command, CommandContext } from './types.js';

/** The srvid range the tool answers on: SRVID_CTDB_TOOL | (pid & 0xffff) << 16 | counter. */
const SRVID_CTDB_TOOL = Srvid.TOOL_RANGE | 0x0001000000000000n;

/**
 * Sessions opened so far in this process. In the one-shot tool there is one (number 0, so the
 * srvids are CTDB's); in the command service (service.ts) many sessions share ctdbd's pid, and
 * each takes its own block of 256 counter values so that concurrent commands never register
 * the same reply srvid.
 */
let sessionsOpened = 0n;

/** Thrown inside a command to end it with an exit status (after printing what it must). */
export class CommandExit extends Error {
  override name = 'CommandExit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Prints the command's usage (stdout) and ends with status 1, as CTDB's usage() does. */
export function usageExit(ctx: CommandContext, name: string): never {
  ctx.io.out(commandUsage(name));
  throw new CommandExit(1);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The int32 a reply message carries (a PNN, or a negative status), if it is one. */
function int32Reply(data: Uint8Array): number | undefined {
  if (data.byteLength !== 4) return undefined;
  return new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true);
}

export class ToolSession {
  /** PNN the command acts on (`-n`, else the local node). */
  cmdPnn: number;
  leaderPnn = UNKNOWN_PNN;
  private nodemapCache: NodeMap | undefined;
  private srvidCounter: bigint;
  private leaderWaiters: (() => void)[] = [];

  constructor(
    readonly ctx: CommandContext,
    readonly client: CtdbClient,
  ) {
    this.cmdPnn = client.pnn;
    const block = (sessionsOpened++ & 0xffn) << 8n;
    this.srvidCounter = SRVID_CTDB_TOOL | (BigInt(process.pid & 0xffff) << 16n) | block;
  }

  /** Ends the command (exit 1) if nobody waits for it any more (see CommandContext.signal). */
  checkStop(): void {
    if (this.ctx.signal?.aborted === true) throw new CommandExit(1);
  }

  /** A pause inside a polling loop, cut short (ending the command) when the command stops. */
  async sleep(ms: number): Promise<void> {
    this.checkStop();
    const signal = this.ctx.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
    this.checkStop();
  }

  /** The local node's PNN. */
  get pnn(): number {
    return this.client.pnn;
  }

  /** The per-control timeout (`-t`) in ms. */
  get timeoutMs(): number {
    return Math.max(0, this.ctx.options.timeout) * 1000;
  }

  /** The machine-output separator (`-x`). */
  get sep(): string {
    return this.ctx.options.separator;
  }

  out(text: string): void {
    this.ctx.io.out(text);
  }

  err(text: string): void {
    this.ctx.io.err(text);
  }

  nextSrvid(): bigint {
    this.srvidCounter += 1n;
    return this.srvidCounter;
  }

  onLeader(pnn: number): void {
    this.leaderPnn = pnn;
    for (const w of this.leaderWaiters.splice(0)) w();
  }

  /** The leader, waiting up to the control timeout for a broadcast (UNKNOWN_PNN if none). */
  async getLeader(): Promise<number> {
    if (this.leaderPnn !== UNKNOWN_PNN) return this.leaderPnn;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      this.leaderWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.leaderPnn;
  }

  /**
   * The node map, cached; taken from the local node unless it is BANNED, in which case the
   * next connected node's view is used (as CTDB's get_nodemap does).
   */
  async getNodemap(force = false): Promise<NodeMap> {
    if (force) this.nodemapCache = undefined;
    if (this.nodemapCache !== undefined) return this.nodemapCache;
    let current = this.pnn;
    for (;;) {
      let map: NodeMap;
      try {
        map = await this.client.getNodemap(current);
      } catch (err) {
        this.reportClientError(err);
        this.err(`Failed to get nodemap from node ${current}\n`);
        throw new CommandExit(1);
      }
      const node = map.nodes.find((n) => n.pnn === current);
      if (node !== undefined && (node.flags & NodeFlag.BANNED) !== 0) {
        do {
          current = (current + 1) % map.nodes.length;
          const n = map.nodes.find((x) => x.pnn === current);
          if (n !== undefined && (n.flags & (NodeFlag.DELETED | NodeFlag.DISCONNECTED)) === 0) {
            break;
          }
        } while (current !== this.pnn);
        if (current === this.pnn) {
          this.err('Warning: All nodes are banned.\n');
          throw new CommandExit(1);
        }
        continue;
      }
      this.nodemapCache = map;
      return map;
    }
  }

  /** Drops the cached node map and stores `map` (or nothing) in its place. */
  replaceNodemap(map: NodeMap | undefined): void {
    this.nodemapCache = map;
  }

  /** Nodes that are not INACTIVE (list_of_active_nodes), optionally without one PNN. */
  async activeNodes(except = UNKNOWN_PNN): Promise<number[]> {
    const map = await this.getNodemap();
    return map.nodes
      .filter((n) => (n.flags & NODE_FLAGS_INACTIVE) === 0 && n.pnn !== except)
      .map((n) => n.pnn);
  }

  /** Nodes neither DISCONNECTED nor DELETED (list_of_connected_nodes). */
  async connectedNodes(): Promise<number[]> {
    const map = await this.getNodemap();
    return map.nodes
      .filter((n) => (n.flags & (NodeFlag.DISCONNECTED | NodeFlag.DELETED)) === 0)
      .map((n) => n.pnn);
  }

  /** Prints a client failure the way CTDB's client library logs it. */
  reportClientError(err: unknown): void {
    if (err instanceof ClientError) this.err(`${err.message}\n`);
  }

  /** Runs a control call; on failure prints CTDB's message (and `onFail`) and exits with its errno. */
  async must<T>(p: Promise<T>, onFail?: string): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof ClientError) {
        this.err(`${err.message}\n`);
        if (onFail !== undefined) this.err(onFail);
        throw new CommandExit(err.errno === 0 ? 1 : err.errno);
      }
      throw err;
    }
  }

  /**
   * A control without a typed wrapper in CtdbClient: succeeds on status 0, the reply decoded
   * with `codec` (an undecodable reply is EPROTO, as the client library reports it).
   */
  async call<T>(
    opcode: number,
    dest: number,
    data: Uint8Array | undefined,
    codec: Codec<T>,
    flags?: number,
  ): Promise<T>;
  async call(opcode: number, dest: number, data?: Uint8Array): Promise<void>;
  async call<T>(
    opcode: number,
    dest: number,
    data?: Uint8Array,
    codec?: Codec<T>,
    flags?: number,
  ): Promise<T | undefined> {
    const r = await this.client.raw(opcode, dest, data, flags === undefined ? {} : { flags });
    if (r.status !== 0) throw new ControlStatusError(opcode, dest, r.status, r.errorMessage);
    if (codec === undefined) return undefined;
    try {
      return codec.decode(r.data);
    } catch (err) {
      if (err instanceof ProtocolError) throw new ControlTransportError(opcode, dest, Errno.EPROTO);
      throw err;
    }
  }

  /**
   * Asks the leader for a takeover run (a TAKEOVER_RUN message to every connected node) and
   * waits for its answer, asking again after each control timeout, as ctdb_ipreallocate does.
   */
  async ipreallocate(): Promise<number> {
    const srvid = this.nextSrvid();
    let status: number | undefined;
    let wake: (() => void) | undefined;
    const handler = (data: Uint8Array): void => {
      const v = int32Reply(data);
      if (v === undefined) return;
      status = v;
      wake?.();
    };
    await this.must(this.client.setMessageHandler(srvid, handler));
    try {
      for (;;) {
        this.checkStop();
        this.client.sendMessage(
          DestNode.BROADCAST_CONNECTED,
          Srvid.TAKEOVER_RUN,
          srvidMessagePayload.encode({ pnn: this.pnn, srvid }),
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (status !== undefined) return status < 0 ? status : 0;
      }
    } finally {
      await this.client.removeMessageHandler(srvid, handler).catch(() => undefined);
    }
  }

  /**
   * Sends a disable message ({pnn, srvid, timeout}) on `target` (DISABLE_RECOVERIES or
   * DISABLE_TAKEOVER_RUNS) to each of `pnns` and waits for all of them to answer. 0 on
   * success, 1 if a node refused, ETIME (after printing `Timed out waiting to <what>`) if the
   * answers do not all arrive within the control timeout. `timeout` 0 re-enables.
   */
  async disableOnNodes(
    target: bigint,
    what: string,
    timeout: number,
    pnns: readonly number[],
  ): Promise<number> {
    const srvid = this.nextSrvid();
    const replied = new Set<number>();
    let failed = false;
    let wake: (() => void) | undefined;
    const handler = (data: Uint8Array): void => {
      const v = int32Reply(data);
      if (v === undefined) return;
      if (v < 0) failed = true;
      else replied.add(v);
      if (failed || pnns.every((p) => replied.has(p))) wake?.();
    };
    await this.must(this.client.setMessageHandler(srvid, handler));
    try {
      const done = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          resolve(false);
        }, this.timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        if (pnns.length === 0) wake();
      });
      const data = disableMessagePayload.encode({ pnn: this.pnn, srvid, timeout });
      for (const p of pnns) this.client.sendMessage(p, target, data);
      if (!(await done)) {
        this.err(`Timed out waiting to ${what}\n`);
        return Errno.ETIME;
      }
      return failed ? 1 : 0;
    } finally {
      await this.client.removeMessageHandler(srvid, handler).catch(() => undefined);
    }
  }
}

/** find_node_xpnn: does any nodes-file address belong to this host? Prints why not. */
export function findLocalNode(ctx: CommandContext): boolean {
  const path = nodesFilePath(ctx.env);
  const nodes = readNodesFile(path);
  if (nodes === undefined) {
    ctx.io.err(`Failed to read nodes file "${path}"\n`);
    return false;
  }
  const local = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  if (nodes.some((n) => (n.flags & NodeFlag.DELETED) === 0 && local.has(n.addr.address))) {
    return true;
  }
  ctx.io.err('Failed to detect PNN of the current node.\n');
  return false;
}

/**
 * Connects and prepares a session as process_command() does; prints CTDB's message and throws
 * CommandExit(1) when that fails. `remote`: the command accepts `-n` for another node.
 */
export async function openSession(
  ctx: CommandContext,
  name: string,
  remote: boolean,
): Promise<ToolSession> {
  const path = ctdbdSocketPath(ctx.env);
  let client: CtdbClient;
  try {
    client = await CtdbClient.connect(path, { timeoutMs: Math.max(0, ctx.options.timeout) * 1000 });
  } catch (err) {
    if (err instanceof ConnectError) {
      ctx.io.err(`${err.message}\n`);
      ctx.io.err(`Failed to connect to CTDB daemon (${path})\n`);
      if (!findLocalNode(ctx)) ctx.io.err('Is this node part of CTDB cluster?\n');
      throw new CommandExit(1);
    }
    if (err instanceof ClientError) {
      ctx.io.err(`${err.message}\n`);
      throw new CommandExit(1);
    }
    throw err;
  }
  const s = new ToolSession(ctx, client);
  try {
    if (ctx.options.node !== undefined) {
      const pnn = Number(ctx.options.node) >>> 0;
      const map = await s.getNodemap();
      const node = map.nodes.find((n) => n.pnn === pnn);
      if (node === undefined) {
        ctx.io.err(`Node ${pnn} does not exist\n`);
        throw new CommandExit(1);
      }
      if ((node.flags & (NodeFlag.DISCONNECTED | NodeFlag.DELETED)) !== 0) {
        ctx.io.err(`Node ${pnn} has status ${flagsText(node.flags)}\n`);
        throw new CommandExit(1);
      }
      s.cmdPnn = pnn;
    }
    if (!remote && s.pnn !== s.cmdPnn) {
      ctx.io.err(`Node cannot be specified for command ${name}\n`);
      throw new CommandExit(1);
    }
    await s.must(
      client.setMessageHandler(Srvid.LEADER, (data) => {
        if (data.byteLength < 4) return;
        s.onLeader(new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true));
      }),
      'Failed to setup leader handler\n',
    );
  } catch (err) {
    client.close();
    throw err;
  }
  return s;
}

export type SessionFn = (s: ToolSession, args: readonly string[]) => number | Promise<number>;

/** A command that talks to ctdbd. `remote`: accepts `-n` for another node. */
export function daemonCommand(name: string, remote: boolean, fn: SessionFn): Command {
  const help = commandHelp(name);
  return {
    name,
    args: help?.args ?? '',
    summary: help?.summary ?? '',
    async run(args, ctx) {
      let s: ToolSession | undefined;
      // When the command stops, closing its connection fails whatever control it waits for.
      const onStop = (): void => {
        s?.client.close();
      };
      ctx.signal?.addEventListener('abort', onStop, { once: true });
      try {
        s = await openSession(ctx, name, remote);
        s.checkStop();
        return await fn(s, args);
      } catch (err) {
        if (err instanceof CommandExit) return err.code;
        if (err instanceof ClientError) {
          ctx.io.err(`${err.message}\n`);
          return err.errno;
        }
        throw err;
      } finally {
        ctx.signal?.removeEventListener('abort', onStop);
        s?.client.close();
      }
    },
  };
}

/** A command that runs without the daemon (and refuses `-n`). */
export function localCommand(
  name: string,
  fn: (ctx: CommandContext, args: readonly string[]) => number | Promise<number>,
): Command {
  const help = commandHelp(name);
  return {
    name,
    args: help?.args ?? '',
    summary: help?.summary ?? '',
    localOnly: true,
    async run(args, ctx) {
      try {
        return await fn(ctx, args);
      } catch (err) {
        if (err instanceof CommandExit) return err.code;
        throw err;
      }
    },
  };
}
