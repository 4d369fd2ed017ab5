// The wire format between the `ctdb` front end (lib/native/ctdb_front.c) and the command
// service inside ctdbd (service.ts). This is the only place it is defined; the C side follows
// this comment. All integers are unsigned 32-bit little-endian.
//
// Where: a Unix stream socket next to ctdbd's, named by cliServiceSocketPath() (the ctdbd
// socket path with `.cli` appended).
//
// Request (front end → service), sent once, then the front end only reads:
//
//   u32 magic    0x31494c43 ("CLI1" in memory order)
//   u32 length   bytes of the body that follows (at most MAX_REQUEST_BYTES)
//   body:        u32 argc, then argc strings; u32 envc, then envc "NAME=value" strings;
//                each string is u32 byte length + bytes (no terminating NUL)
//
// Replies (service → front end), any number of frames, each
//
//   u8 type, u32 length, length bytes of payload
//
//   STDOUT (1)   bytes to write to fd 1
//   STDERR (2)   bytes to write to fd 2
//   EXIT (3)     payload u32: the exit status (0-255); the service then closes
//   FALLBACK (4) empty: "run it yourself" (the command is not served here); sent before any
//                output, then the service closes
//   ERROR (5)    text: the request was malformed; the service then closes
//
// A connection that ends without EXIT or FALLBACK means the daemon went away mid-command.
// The front end keeps its side of the connection open until the end (no shutdown(SHUT_WR)):
// the service takes the end of its stream as "the caller has gone" and stops the command.

export const REQUEST_MAGIC = 0x31494c43;
/** Requests are argv + environment: 1 MiB is far beyond any real one, and bounds memory. */
export const MAX_REQUEST_BYTES = 1 << 20;

export const FrameType = {
  STDOUT: 1,
  STDERR: 2,
  EXIT: 3,
  FALLBACK: 4,
  ERROR: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** The service's socket for a ctdbd socket path (the front end applies the same rule). */
export function cliServiceSocketPath(ctdbdSocket: string): string {
  return `${ctdbdSocket}.cli`;
}

export interface CliRequest {
  readonly argv: readonly string[];
  /** The caller's environment, as the command would see it in its own process. */
  readonly env: Readonly<Record<string, string>>;
}

/** A request that does not follow the format above. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function str(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  return [u32(b.length), b];
}

/** Encodes a request (the C front end does the same; this one serves tests). */
export function encodeRequest(req: CliRequest): Buffer {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  const body = Buffer.concat([
    u32(req.argv.length),
    ...req.argv.flatMap(str),
    u32(env.length),
    ...env.flatMap(str),
  ]);
  return Buffer.concat([u32(REQUEST_MAGIC), u32(body.length), body]);
}

/**
 * How many bytes the whole request takes, once its 8-byte head has arrived; undefined while
 * fewer bytes are there. Throws BadRequestError for a wrong magic or an oversized length.
 */
export function requestSize(head: Buffer): number | undefined {
  if (head.length < 8) return undefined;
  if (head.readUInt32LE(0) !== REQUEST_MAGIC) throw new BadRequestError('bad magic');
  const length = head.readUInt32LE(4);
  if (length > MAX_REQUEST_BYTES) throw new BadRequestError(`request of ${length} bytes`);
  return 8 + length;
}

/** Decodes a complete request (exactly requestSize() bytes). */
export function decodeRequest(buf: Buffer): CliRequest {
  const size = requestSize(buf);
  if (size === undefined || buf.length !== size) throw new BadRequestError('truncated request');
  let at = 8;
  const need = (n: number, what: string): void => {
    if (at + n > buf.length) throw new BadRequestError(`truncated ${what}`);
  };
  const readU32 = (what: string): number => {
    need(4, what);
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  const readStrings = (what: string): string[] => {
    const count = readU32(`${what} count`);
    // Each string takes at least 4 bytes: a count beyond that cannot be honest.
    if (count > (buf.length - at) / 4) throw new BadRequestError(`${what} count ${count}`);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = readU32(what);
      need(len, what);
      out.push(buf.toString('utf8', at, at + len));
      at += len;
    }
    return out;
  };
  const argv = readStrings('argv');
  const envList = readStrings('environment');
  if (at !== buf.length) throw new BadRequestError('trailing bytes after the request');
  const env: Record<string, string> = {};
  for (const entry of envList) {
    const eq = entry.indexOf('=');
    // Entries without `=` cannot be seen through getenv() either; skip them as libc would.
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { argv, env };
}

/** One reply frame. */
export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

export interface ReplyFrame {
  readonly type: number;
  readonly payload: Buffer;
}

/** Splits a reply stream into frames (for tests); a partial last frame is returned as rest. */
export function decodeFrames(buf: Buffer): { frames: ReplyFrame[]; rest: Buffer } {
  const frames: ReplyFrame[] = [];
  let at = 0;
  while (at + 5 <= buf.length) {
    const len = buf.readUInt32LE(at + 1);
    if (at + 5 + len > buf.length) break;
    frames.push({ type: buf.readUInt8(at), payload: buf.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return { frames, rest: buf.subarray(at) };
}
