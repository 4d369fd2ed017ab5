// Bounds-checked little-endian readers and writers over a Uint8Array. CTDB puts integers on the
// wire in host byte order; every supported host (x86-64, arm64) is little-endian, so we fix LE.
import { ProtocolError } from './errors.js';

/** Reads fields in order; any read past the end throws ProtocolError('truncated', field). */
export class Reader {
  private readonly view: DataView;
  offset = 0;

  constructor(
    readonly bytes: Uint8Array,
    /** Prefix for error messages, e.g. `node_map`. */
    readonly context: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(n: number, field: string): number {
    if (n < 0 || this.offset + n > this.bytes.byteLength) {
      throw new ProtocolError(
        'truncated',
        `${this.context}.${field}`,
        `needs ${n} bytes at offset ${this.offset}, only ${this.remaining} left`,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u32(field: string): number {
    return this.view.getUint32(this.need(4, field), true);
  }

  i32(field: string): number {
    return this.view.getInt32(this.need(4, field), true);
  }

  u64(field: string): bigint {
    return this.view.getBigUint64(this.need(8, field), true);
  }

  i64(field: string): bigint {
    return this.view.getBigInt64(this.need(8, field), true);
  }

  u16(field: string): number {
    return this.view.getUint16(this.need(2, field), true);
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }

  /** A view (no copy) of the next n bytes. */
  bytesOf(n: number, field: string): Uint8Array {
    const at = this.need(n, field);
    return this.bytes.subarray(at, at + n);
  }

  skip(n: number, field: string): void {
    this.need(n, field);
  }

  /** Fails when bytes remain that the layout does not account for. */
  end(): void {
    if (this.remaining !== 0) {
      throw new ProtocolError(
        'bad-length',
        this.context,
        `${this.remaining} unexpected trailing bytes`,
      );
    }
  }
}

/** Appends fields in order into a growing buffer. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): number {
    if (this.length + n > this.buf.byteLength) {
      let size = this.buf.byteLength * 2;
      while (size < this.length + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u32(value: number, field = 'u32'): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new ProtocolError('bad-value', field, `${value} is not a u32`);
    }
    const at = this.room(4);
    this.view.setUint32(at, value, true);
    return this;
  }

  i32(value: number, field = 'i32'): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new ProtocolError('bad-value', field, `${value} is not an i32`);
    }
    const at = this.room(4);
    this.view.setInt32(at, value, true);
    return this;
  }

  u64(value: bigint, field = 'u64'): this {
    if (value < 0n || value > 0xffffffffffffffffn) {
      throw new ProtocolError('bad-value', field, `${value} is not a u64`);
    }
    const at = this.room(8);
    this.view.setBigUint64(at, value, true);
    return this;
  }

  i64(value: bigint): this {
    const at = this.room(8);
    this.view.setBigInt64(at, BigInt.asIntN(64, value), true);
    return this;
  }

  u16(value: number): this {
    const at = this.room(2);
    this.view.setUint16(at, value, true);
    return this;
  }

  u8(value: number): this {
    const at = this.room(1);
    this.view.setUint8(at, value);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.room(data.byteLength);
    this.buf.set(data, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, this.length);
    return this;
  }

  /** The bytes written so far (a copy-free view). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

/** Decodes a C string: stops at the first NUL (CTDB strings are NUL-terminated). */
export function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul === -1 ? bytes : bytes.subarray(0, nul));
}

/** Encodes a C string including its terminating NUL. */
export function cStringBytes(text: string): Uint8Array {
  const body = utf8enc.encode(text);
  const out = new Uint8Array(body.byteLength + 1);
  out.set(body);
  return out;
}
