// The one error type the protocol layer raises. Every decoder turns "not enough bytes",
// "wrong magic", "length field lies" and the like into a ProtocolError with a stable code and
// the field it was reading, so a daemon or client can log the packet and drop it; no raw
// RangeError from a DataView ever escapes to a caller.

export type ProtocolErrorCode =
  /** The buffer ended before the field could be read. */
  | 'truncated'
  /** The header's magic was not "CTDB". */
  | 'bad-magic'
  /** The header's protocol version was not 1. */
  | 'bad-version'
  /** A length field is inconsistent with the bytes present (or exceeds a limit). */
  | 'bad-length'
  /** The header's operation is not one this implementation decodes. */
  | 'unknown-operation'
  /** A payload does not have the layout its control or message defines. */
  | 'bad-payload'
  /** A value to encode does not fit its wire field. */
  | 'bad-value';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    /** The field or structure being read, e.g. `req_control.datalen` or `node_map[2].addr`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * A framing failure the stream cannot recover from (a zero length never advances; a huge
 * length would buffer without end). The connection carrying it should be closed.
 */
export class FramingError extends ProtocolError {
  override name = 'FramingError';
}
