// A client connection to ctdbd's Unix socket: sends controls and messages, matches replies to
// requests by reqid with a per-control deadline, and delivers REQ_MESSAGE packets to the
// handlers registered for their srvid (registration with ctdbd is done by the caller through
// REGISTER_SRVID; see controls.ts). Malformed packets from the daemon are reported through
// `onProtocolError` and dropped.
import { connect, type Socket } from 'node:net';
import { ControlFlag, Operation, UNKNOWN_PNN, Srvid } from '../protocol/constants.js';
import { ProtocolError } from '../protocol/errors.js';
import { FrameParser } from '../protocol/framing.js';
import {
  decodePacket,
  encodeReqControl,
  encodeReqMessage,
  type ReplyControl,
} from '../protocol/packets.js';
import { ConnectError, ControlTransportError, DisconnectedError, Errno } from './errors.js';

export type MessageHandler = (data: Uint8Array, srvid: bigint) => void;

export interface ControlRequest {
  readonly opcode: number;
  /** A PNN or DestNode.CURRENT_NODE. */
  readonly destnode: number;
  readonly data?: Uint8Array;
  readonly srvid?: bigint;
  readonly flags?: number;
  /** Give up after this long (ms); 0 = already expired; undefined or Infinity = no deadline. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly opcode: number;
  readonly destnode: number;
  resolve(reply: ReplyControl): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface ConnectionOptions {
  /** Called with packets that could not be decoded (they are dropped). */
  readonly onProtocolError?: (err: ProtocolError) => void;
  /** Called once when the daemon closes the connection. */
  readonly onDisconnect?: () => void;
}

export class CtdbConnection {
  /** This node's PNN, as far as the client knows (UNKNOWN_PNN until set). */
  pnn = UNKNOWN_PNN;
  private nextReqid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<bigint, Set<MessageHandler>>();
  private readonly parser: FrameParser;
  private closed = false;
  private disconnectCallbacks: (() => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.parser = new FrameParser({
      onFrame: (frame) => {
        this.onFrame(frame);
      },
      onError: (err) => {
        this.opts.onProtocolError?.(err);
        if (err.name === 'FramingError') socket.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk);
    });
    socket.on('close', () => {
      this.teardown();
    });
    socket.on('error', () => {
      // 'close' follows; pending requests are failed there.
    });
    if (opts.onDisconnect !== undefined) this.disconnectCallbacks.push(opts.onDisconnect);
  }

  /** Connects to the socket at `path`; rejects with ConnectError(errno). */
  static open(path: string, opts: ConnectionOptions = {}): Promise<CtdbConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new ConnectError(path, errnoOf(err)));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new CtdbConnection(socket, opts));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Registers a callback for the daemon closing the connection. */
  onDisconnect(cb: () => void): void {
    if (this.closed) cb();
    else this.disconnectCallbacks.push(cb);
  }

  /** Sends a control and resolves with the raw reply (any status). */
  control(req: ControlRequest): Promise<ReplyControl> {
    if (this.closed) {
      return Promise.reject(new ControlTransportError(req.opcode, req.destnode, Errno.ENOTCONN));
    }
    const reqid = this.allocReqid();
    const packet = encodeReqControl({
      destnode: req.destnode,
      srcnode: this.pnn,
      reqid,
      opcode: req.opcode,
      srvid: req.srvid ?? 0n,
      flags: req.flags ?? 0,
      ...(req.data === undefined ? {} : { data: req.data }),
    });
    return new Promise((resolve, reject) => {
      const p: Pending = {
        opcode: req.opcode,
        destnode: req.destnode,
        resolve,
        reject,
        timer: undefined,
      };
      if (req.timeoutMs !== undefined && req.timeoutMs > 0 && Number.isFinite(req.timeoutMs)) {
        p.timer = setTimeout(() => {
          this.pending.delete(reqid);
          reject(new ControlTransportError(req.opcode, req.destnode, Errno.ETIMEDOUT));
        }, req.timeoutMs);
      } else if (req.timeoutMs !== undefined && req.timeoutMs <= 0) {
        // CTDB's tool treats a zero time limit as already expired.
        setImmediate(() => {
          if (this.pending.delete(reqid)) {
            reject(new ControlTransportError(req.opcode, req.destnode, Errno.ETIMEDOUT));
          }
        });
      }
      this.pending.set(reqid, p);
      this.socket.write(packet);
    });
  }

  /**
   * Sends a control with the NOREPLY flag (CTDB uses it for SHUTDOWN): the daemon will not
   * answer, so the call is complete once the packet is written.
   */
  controlNoReply(req: Omit<ControlRequest, 'timeoutMs'>): Promise<void> {
    if (this.closed) {
      return Promise.reject(new ControlTransportError(req.opcode, req.destnode, Errno.ENOTCONN));
    }
    const packet = encodeReqControl({
      destnode: req.destnode,
      srcnode: this.pnn,
      reqid: this.allocReqid(),
      opcode: req.opcode,
      srvid: req.srvid ?? 0n,
      flags: (req.flags ?? 0) | ControlFlag.NOREPLY,
      ...(req.data === undefined ? {} : { data: req.data }),
    });
    return new Promise((resolve, reject) => {
      this.socket.write(packet, (err) => {
        if (err) reject(new ControlTransportError(req.opcode, req.destnode, Errno.EPIPE));
        else resolve();
      });
    });
  }

  /** Sends a REQ_MESSAGE to `destnode` (a PNN or a broadcast destination). */
  sendMessage(destnode: number, srvid: bigint, data: Uint8Array = new Uint8Array(0)): void {
    if (this.closed) throw new DisconnectedError();
    this.socket.write(encodeReqMessage({ destnode, srcnode: this.pnn, reqid: 0, srvid, data }));
  }

  /** Adds a local handler for messages on `srvid` (Srvid.ALL receives every message). */
  addHandler(srvid: bigint, handler: MessageHandler): void {
    let set = this.handlers.get(srvid);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(srvid, set);
    }
    set.add(handler);
  }

  removeHandler(srvid: bigint, handler: MessageHandler): void {
    const set = this.handlers.get(srvid);
    set?.delete(handler);
    if (set?.size === 0) this.handlers.delete(srvid);
  }

  /** Closes the socket; outstanding requests fail with ENOTCONN. */
  close(): void {
    this.socket.destroy();
    this.teardown();
  }

  private allocReqid(): number {
    const id = this.nextReqid;
    this.nextReqid = this.nextReqid >= 0x7fffffff ? 1 : this.nextReqid + 1;
    return id;
  }

  private onFrame(frame: Uint8Array): void {
    let packet;
    try {
      packet = decodePacket(frame);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.opts.onProtocolError?.(err);
        return;
      }
      throw err;
    }
    if (packet.operation === Operation.REPLY_CONTROL) {
      const p = this.pending.get(packet.header.reqid);
      if (p === undefined) return; // late reply after a timeout
      this.pending.delete(packet.header.reqid);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.resolve(packet);
    } else if (packet.operation === Operation.REQ_MESSAGE) {
      for (const key of [packet.srvid, Srvid.ALL]) {
        const set = this.handlers.get(key);
        if (set === undefined) continue;
        for (const h of [...set]) h(packet.data, packet.srvid);
      }
    }
    // Other operations are not meant for a client; ignore them.
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [reqid, p] of this.pending) {
      this.pending.delete(reqid);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(new ControlTransportError(p.opcode, p.destnode, Errno.ENOTCONN));
    }
    for (const cb of this.disconnectCallbacks) cb();
    this.disconnectCallbacks = [];
  }
}

function errnoOf(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'ENOENT':
      return Errno.ENOENT;
    case 'ECONNREFUSED':
      return Errno.ECONNREFUSED;
    case 'EACCES':
      return 13;
    case 'ENOTSOCK':
      return 88;
    default:
      return typeof err.errno === 'number' ? Math.abs(err.errno) : Errno.EIO;
  }
}
