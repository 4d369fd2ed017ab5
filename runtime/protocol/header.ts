// The 32-byte packet header every CTDB packet starts with.
import { CTDB_MAGIC, CTDB_PROTOCOL, HEADER_SIZE } from './constants.js';
import { Reader, type Writer } from './cursor.js';
import { ProtocolError } from './errors.js';

export interface PacketHeader {
  /** Whole packet length including the header (and any padding). */
  readonly length: number;
  readonly magic: number;
  readonly version: number;
  /** The sender's vnnmap generation. */
  readonly generation: number;
  readonly operation: number;
  /** A PNN or one of DestNode.*. */
  readonly destnode: number;
  readonly srcnode: number;
  readonly reqid: number;
}

/** The header fields a sender chooses; length, magic and version are filled in on encode. */
export interface HeaderFields {
  readonly generation?: number;
  readonly destnode: number;
  readonly srcnode?: number;
  readonly reqid: number;
}

/** Reads and validates a header (magic, version, length ≥ 32 and ≤ the bytes present). */
export function decodeHeader(r: Reader): PacketHeader {
  const h: PacketHeader = {
    length: r.u32('length'),
    magic: r.u32('ctdb_magic'),
    version: r.u32('ctdb_version'),
    generation: r.u32('generation'),
    operation: r.u32('operation'),
    destnode: r.u32('destnode'),
    srcnode: r.u32('srcnode'),
    reqid: r.u32('reqid'),
  };
  if (h.magic !== CTDB_MAGIC) {
    throw new ProtocolError(
      'bad-magic',
      'header.ctdb_magic',
      `0x${h.magic.toString(16)} is not 0x${CTDB_MAGIC.toString(16)}`,
    );
  }
  if (h.version !== CTDB_PROTOCOL) {
    throw new ProtocolError('bad-version', 'header.ctdb_version', `${h.version} is not 1`);
  }
  if (h.length < HEADER_SIZE || h.length > r.bytes.byteLength) {
    throw new ProtocolError(
      'bad-length',
      'header.length',
      `${h.length} does not fit a packet of ${r.bytes.byteLength} bytes`,
    );
  }
  return h;
}

/** Reads just the header of a frame without validating it further than its size. */
export function peekHeader(frame: Uint8Array): PacketHeader {
  return decodeHeader(new Reader(frame, 'header'));
}

export function writeHeader(w: Writer, operation: number, f: HeaderFields): void {
  w.u32(0, 'header.length') // patched by finishPacket
    .u32(CTDB_MAGIC)
    .u32(CTDB_PROTOCOL)
    .u32(f.generation ?? 0, 'header.generation')
    .u32(operation, 'header.operation')
    .u32(f.destnode, 'header.destnode')
    .u32(f.srcnode ?? 0, 'header.srcnode')
    .u32(f.reqid, 'header.reqid');
}
