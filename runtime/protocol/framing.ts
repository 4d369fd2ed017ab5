// Splits a byte stream into CTDB packets. Each packet starts with its u32 length (LE), which
// covers the whole packet including header and any alignment padding (on TCP, and in practice
// on ctdbd's Unix socket too, padded to 8; unpadded lengths are accepted as well).
//
// Explicit states, as in nats.js's parser: AWAIT_LENGTH (fewer than 4 bytes of the next packet
// seen), AWAIT_BODY (length known, collecting), CLOSED (an unrecoverable framing error; the
// caller must close the connection). A packet that lies wholly inside one chunk is handed out
// as a view of that chunk (no copy); only a packet split across chunks is assembled in a buffer
// of exactly its length.
import { HEADER_SIZE } from './constants.js';
import { FramingError, ProtocolError } from './errors.js';

export const FrameState = {
  AWAIT_LENGTH: 'AWAIT_LENGTH',
  AWAIT_BODY: 'AWAIT_BODY',
  CLOSED: 'CLOSED',
} as const;
export type FrameState = (typeof FrameState)[keyof typeof FrameState];

export interface FrameHandler {
  /**
   * One whole packet (length ≥ 32). It may share memory with the chunk passed to `push`;
   * treat it as read-only.
   */
  onFrame(frame: Uint8Array): void;
  /**
   * A problem with the stream. `FramingError` (zero or oversized length) means the parser
   * is now CLOSED; a plain ProtocolError (a length below the header size) means that one
   * packet was skipped and parsing continues.
   */
  onError(err: ProtocolError): void;
}

export interface FrameParserOptions {
  /** Largest packet accepted (default 64 MiB); larger lengths close the stream. */
  readonly maxLength?: number;
}

export class FrameParser {
  private state: FrameState = FrameState.AWAIT_LENGTH;
  /** Bytes of the length prefix collected so far (when split across chunks). */
  private readonly lenBuf = new Uint8Array(4);
  private lenHave = 0;
  /** The packet being assembled across chunks. */
  private pending: Uint8Array | undefined;
  private pendingHave = 0;
  private readonly maxLength: number;

  constructor(
    private readonly handler: FrameHandler,
    options: FrameParserOptions = {},
  ) {
    this.maxLength = options.maxLength ?? 64 * 1024 * 1024;
  }

  get currentState(): FrameState {
    return this.state;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.state === FrameState.AWAIT_BODY ? this.pendingHave : this.lenHave;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.byteLength;
    while (i < n && this.state !== FrameState.CLOSED) {
      if (this.state === FrameState.AWAIT_LENGTH) {
        if (this.lenHave === 0 && n - i >= 4) {
          const length = readU32(chunk, i);
          if (!this.acceptLength(length)) return;
          if (n - i >= length) {
            // Fast path: the whole packet is in this chunk.
            this.deliver(chunk.subarray(i, i + length), length);
            i += length;
            continue;
          }
          this.startPending(length);
          continue; // AWAIT_BODY copies from i (length bytes included)
        }
        // Length prefix split across chunks.
        while (this.lenHave < 4 && i < n) this.lenBuf[this.lenHave++] = chunk[i++]!;
        if (this.lenHave < 4) return;
        const length = readU32(this.lenBuf, 0);
        if (!this.acceptLength(length)) return;
        this.startPending(length);
        this.pending!.set(this.lenBuf, 0);
        this.pendingHave = 4;
        this.lenHave = 0;
        continue;
      }
      // AWAIT_BODY
      const pending = this.pending!;
      const take = Math.min(pending.byteLength - this.pendingHave, n - i);
      pending.set(chunk.subarray(i, i + take), this.pendingHave);
      this.pendingHave += take;
      i += take;
      if (this.pendingHave === pending.byteLength) {
        this.pending = undefined;
        this.pendingHave = 0;
        this.state = FrameState.AWAIT_LENGTH;
        this.deliver(pending, pending.byteLength);
      }
    }
  }

  /** Forget any partial packet (e.g. after reconnecting). */
  reset(): void {
    this.state = FrameState.AWAIT_LENGTH;
    this.lenHave = 0;
    this.pending = undefined;
    this.pendingHave = 0;
  }

  private acceptLength(length: number): boolean {
    if (length === 0 || length > this.maxLength) {
      this.state = FrameState.CLOSED;
      this.pending = undefined;
      this.handler.onError(
        new FramingError(
          'bad-length',
          'header.length',
          length === 0
            ? 'invalid packet of length 0'
            : `packet of ${length} bytes exceeds the limit of ${this.maxLength}`,
        ),
      );
      return false;
    }
    return true;
  }

  private startPending(length: number): void {
    this.pending = new Uint8Array(length);
    this.pendingHave = 0;
    this.state = FrameState.AWAIT_BODY;
  }

  private deliver(frame: Uint8Array, length: number): void {
    if (length < HEADER_SIZE) {
      this.handler.onError(
        new ProtocolError(
          'bad-length',
          'header.length',
          `packet of ${length} bytes is shorter than the ${HEADER_SIZE}-byte header; dropped`,
        ),
      );
      return;
    }
    this.handler.onFrame(frame);
  }
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
