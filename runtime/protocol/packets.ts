// Encoders and the decoder for whole packets: REQ_CONTROL, REPLY_CONTROL, REQ_MESSAGE,
// REQ_KEEPALIVE and REPLY_ERROR. Other operations (calls, dmaster, tunnel) decode to a generic
// packet with the raw body, so a daemon can at least log and drop or forward them.
import { HEADER_SIZE, Operation, PACKET_ALIGNMENT, operationName } from './constants.js';
import { Reader, Writer, cString, cStringBytes } from './cursor.js';
import { ProtocolError } from './errors.js';
import { decodeHeader, writeHeader, type HeaderFields, type PacketHeader } from './header.js';

const EMPTY = new Uint8Array(0);

export interface ReqControl {
  readonly operation: typeof Operation.REQ_CONTROL;
  readonly header: PacketHeader;
  readonly opcode: number;
  readonly srvid: bigint;
  readonly clientId: number;
  readonly flags: number;
  readonly data: Uint8Array;
}

export interface ReplyControl {
  readonly operation: typeof Operation.REPLY_CONTROL;
  readonly header: PacketHeader;
  readonly status: number;
  /** Output data (present on success; ctdbd may also send data with a non-zero status). */
  readonly data: Uint8Array;
  /** The error string, if the reply carried one. */
  readonly errorMessage: string | undefined;
}

export interface ReqMessage {
  readonly operation: typeof Operation.REQ_MESSAGE;
  readonly header: PacketHeader;
  readonly srvid: bigint;
  readonly data: Uint8Array;
}

export interface ReqKeepalive {
  readonly operation: typeof Operation.REQ_KEEPALIVE;
  readonly header: PacketHeader;
  /** `major << 16 | minor`; undefined for an old body-less keepalive. */
  readonly version: number | undefined;
  /** Seconds since the sender started; undefined for an old body-less keepalive. */
  readonly uptime: number | undefined;
}

export interface ReplyError {
  readonly operation: typeof Operation.REPLY_ERROR;
  readonly header: PacketHeader;
  readonly status: number;
  readonly message: string;
}

/** A packet whose body this module does not interpret (REQ_CALL, REQ_DMASTER, …). */
export interface OtherPacket {
  readonly operation:
    | typeof Operation.REQ_CALL
    | typeof Operation.REPLY_CALL
    | typeof Operation.REQ_DMASTER
    | typeof Operation.REPLY_DMASTER
    | typeof Operation.REQ_TUNNEL;
  readonly header: PacketHeader;
  readonly body: Uint8Array;
}

export type Packet =
  ReqControl | ReplyControl | ReqMessage | ReqKeepalive | ReplyError | OtherPacket;

export interface EncodeOptions {
  /** Pad the packet to a multiple of this and write the padded length (default 8, as CTDB). */
  readonly align?: number;
}

function finishPacket(w: Writer, opts: EncodeOptions | undefined): Uint8Array {
  const align = opts?.align ?? PACKET_ALIGNMENT;
  const padded = Math.ceil(w.length / align) * align;
  w.zeros(padded - w.length);
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, out.byteLength, true);
  return out;
}

export interface ReqControlFields extends HeaderFields {
  readonly opcode: number;
  readonly srvid?: bigint;
  readonly clientId?: number;
  readonly flags?: number;
  readonly data?: Uint8Array;
}

export function encodeReqControl(f: ReqControlFields, opts?: EncodeOptions): Uint8Array {
  const data = f.data ?? EMPTY;
  const w = new Writer(HEADER_SIZE + 32 + data.byteLength + 8);
  writeHeader(w, Operation.REQ_CONTROL, f);
  w.u32(f.opcode, 'req_control.opcode')
    .u32(0)
    .u64(f.srvid ?? 0n, 'req_control.srvid')
    .u32(f.clientId ?? 0, 'req_control.client_id')
    .u32(f.flags ?? 0, 'req_control.flags')
    .u32(data.byteLength)
    .bytes(data);
  return finishPacket(w, opts);
}

export interface ReplyControlFields extends HeaderFields {
  readonly status: number;
  readonly data?: Uint8Array;
  readonly errorMessage?: string | undefined;
}

/**
 * Encodes a control reply as ctdbd does: data first, then the error text (without a NUL);
 * `errorlen` is the text's length.
 */
export function encodeReplyControl(f: ReplyControlFields, opts?: EncodeOptions): Uint8Array {
  const data = f.data ?? EMPTY;
  const err = f.errorMessage === undefined ? EMPTY : cStringBytes(f.errorMessage).subarray(0, -1);
  const w = new Writer(HEADER_SIZE + 12 + data.byteLength + err.byteLength + 8);
  writeHeader(w, Operation.REPLY_CONTROL, f);
  w.i32(f.status, 'reply_control.status')
    .u32(data.byteLength)
    .u32(err.byteLength)
    .bytes(data)
    .bytes(err);
  return finishPacket(w, opts);
}

export interface ReqMessageFields extends HeaderFields {
  readonly srvid: bigint;
  readonly data?: Uint8Array;
}

export function encodeReqMessage(f: ReqMessageFields, opts?: EncodeOptions): Uint8Array {
  const data = f.data ?? EMPTY;
  const w = new Writer(HEADER_SIZE + 12 + data.byteLength + 8);
  writeHeader(w, Operation.REQ_MESSAGE, f);
  w.u64(f.srvid, 'req_message.srvid').u32(data.byteLength).bytes(data);
  return finishPacket(w, opts);
}

export interface ReqKeepaliveFields extends HeaderFields {
  readonly version: number;
  readonly uptime: number;
}

export function encodeReqKeepalive(f: ReqKeepaliveFields, opts?: EncodeOptions): Uint8Array {
  const w = new Writer(HEADER_SIZE + 8);
  writeHeader(w, Operation.REQ_KEEPALIVE, f);
  w.u32(f.version, 'req_keepalive.version').u32(f.uptime, 'req_keepalive.uptime');
  return finishPacket(w, opts);
}

export interface ReplyErrorFields extends HeaderFields {
  readonly status: number;
  readonly message: string;
}

export function encodeReplyError(f: ReplyErrorFields, opts?: EncodeOptions): Uint8Array {
  const msg = cStringBytes(f.message);
  const w = new Writer(HEADER_SIZE + 8 + msg.byteLength + 8);
  writeHeader(w, Operation.REPLY_ERROR, f);
  w.i32(f.status, 'reply_error.status').u32(msg.byteLength).bytes(msg);
  return finishPacket(w, opts);
}

/** Version field of a keepalive: `major << 16 | minor` (4.17 → 0x00040011). */
export function keepaliveVersion(major: number, minor: number): number {
  return ((major & 0xffff) << 16) | (minor & 0xffff);
}

/**
 * Decodes one framed packet. Bytes after the declared body (CTDB's alignment padding) are
 * ignored. Throws ProtocolError for anything malformed; never any other error.
 */
export function decodePacket(frame: Uint8Array): Packet {
  const r = new Reader(frame, 'header');
  const header = decodeHeader(r);
  const body = new Reader(frame.subarray(HEADER_SIZE, header.length), '');
  try {
    return decodeBody(header, body);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(
      'bad-payload',
      operationName(header.operation) ?? 'packet',
      String(err),
    );
  }
}

function decodeBody(header: PacketHeader, r: Reader): Packet {
  switch (header.operation) {
    case Operation.REQ_CONTROL: {
      const b = new Reader(r.bytes, 'req_control');
      const opcode = b.u32('opcode');
      b.skip(4, 'pad');
      const srvid = b.u64('srvid');
      const clientId = b.u32('client_id');
      const flags = b.u32('flags');
      const datalen = b.u32('datalen');
      const data = b.bytesOf(datalen, 'data');
      return { operation: Operation.REQ_CONTROL, header, opcode, srvid, clientId, flags, data };
    }
    case Operation.REPLY_CONTROL: {
      const b = new Reader(r.bytes, 'reply_control');
      const status = b.i32('status');
      const datalen = b.u32('datalen');
      const errorlen = b.u32('errorlen');
      const data = b.bytesOf(datalen, 'data');
      const errBytes = b.bytesOf(errorlen, 'errormsg');
      return {
        operation: Operation.REPLY_CONTROL,
        header,
        status,
        data,
        errorMessage: errorlen === 0 ? undefined : cString(errBytes),
      };
    }
    case Operation.REQ_MESSAGE: {
      const b = new Reader(r.bytes, 'req_message');
      const srvid = b.u64('srvid');
      const datalen = b.u32('datalen');
      const data = b.bytesOf(datalen, 'data');
      return { operation: Operation.REQ_MESSAGE, header, srvid, data };
    }
    case Operation.REQ_KEEPALIVE: {
      const b = new Reader(r.bytes, 'req_keepalive');
      if (b.remaining < 8) {
        return {
          operation: Operation.REQ_KEEPALIVE,
          header,
          version: undefined,
          uptime: undefined,
        };
      }
      const version = b.u32('version');
      const uptime = b.u32('uptime');
      return { operation: Operation.REQ_KEEPALIVE, header, version, uptime };
    }
    case Operation.REPLY_ERROR: {
      const b = new Reader(r.bytes, 'reply_error');
      const status = b.i32('status');
      const msglen = b.u32('msglen');
      const message = cString(b.bytesOf(msglen, 'msg'));
      return { operation: Operation.REPLY_ERROR, header, status, message };
    }
    case Operation.REQ_CALL:
    case Operation.REPLY_CALL:
    case Operation.REQ_DMASTER:
    case Operation.REPLY_DMASTER:
    case Operation.REQ_TUNNEL:
      return { operation: header.operation, header, body: r.bytes };
    default:
      throw new ProtocolError(
        'unknown-operation',
        'header.operation',
        `operation ${header.operation} is not a CTDB operation`,
      );
  }
}
