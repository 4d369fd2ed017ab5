// CTDB 4.17's event daemon protocol (ctdb/event/event_protocol.c), byte for byte: host byte
// order (little-endian here), no padding, strings as `stringn` (u32 length counting the NUL,
// then the bytes and the NUL; length 0 is a NULL string), times as a raw 16-byte
// `struct timeval`. Every packet starts with a 12-byte header whose first field is the total
// length. This module only encodes and decodes; it knows nothing about running scripts.

export const HEADER_SIZE = 12;

/** Request commands. */
export const Cmd = { RUN: 1, STATUS: 2, SCRIPT: 3 } as const;
export type CmdValue = (typeof Cmd)[keyof typeof Cmd];

/** `flags` bit of a RUN request: keep going after a failing script. */
export const RUN_ALL = 1;

export interface Header {
  readonly length: number;
  readonly version: number;
  readonly reqid: number;
}

/** A time as `struct timeval`. */
export interface Timeval {
  readonly sec: number;
  readonly usec: number;
}

export interface RunRequest {
  readonly cmd: typeof Cmd.RUN;
  readonly component: string | null;
  readonly event: string | null;
  readonly args: string | null;
  /** Seconds. */
  readonly timeout: number;
  readonly flags: number;
}

export interface StatusRequest {
  readonly cmd: typeof Cmd.STATUS;
  readonly component: string | null;
  readonly event: string | null;
}

export interface ScriptRequest {
  readonly cmd: typeof Cmd.SCRIPT;
  readonly component: string | null;
  readonly script: string | null;
  /** 0 = disable, 1 = enable. */
  readonly enable: boolean;
}

export type Request = RunRequest | StatusRequest | ScriptRequest;

/** One script's stored result as the STATUS reply carries it. */
export interface ScriptStatus {
  readonly name: string;
  readonly begin: Timeval;
  readonly end: Timeval;
  /** 0 OK, >0 exit status, negative errno (-ETIMEDOUT, -ENOEXEC = disabled, …). */
  readonly result: number;
  readonly output: string | null;
}

export interface StatusBody {
  readonly summary: number;
  readonly scripts: readonly ScriptStatus[];
}

export interface Reply {
  readonly cmd: CmdValue;
  /** 0 or a positive errno. */
  readonly result: number;
  /** Present only for STATUS with result 0. */
  readonly status?: StatusBody;
}

/** A packet that cannot be decoded; the daemon closes the connection that sent it. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

class Writer {
  private readonly parts: Buffer[] = [];
  private size = 0;

  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32LE(v | 0);
    this.push(b);
  }
  stringn(s: string | null): void {
    if (s === null) {
      this.u32(0);
      return;
    }
    const bytes = Buffer.from(s, 'utf8');
    this.u32(bytes.length + 1);
    this.push(bytes);
    this.push(Buffer.alloc(1));
  }
  timeval(t: Timeval): void {
    const b = Buffer.allocUnsafe(16);
    b.writeBigInt64LE(BigInt(Math.trunc(t.sec)));
    b.writeBigInt64LE(BigInt(Math.trunc(t.usec)), 8);
    this.push(b);
  }
  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }
  /** Prepends the header (length counts the header) and returns the packet. */
  packet(reqid: number): Buffer {
    const head = Buffer.allocUnsafe(HEADER_SIZE);
    head.writeUInt32LE(HEADER_SIZE + this.size, 0);
    head.writeUInt32LE(0, 4);
    head.writeUInt32LE(reqid >>> 0, 8);
    return Buffer.concat([head, ...this.parts], HEADER_SIZE + this.size);
  }
}

class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.buf.length - this.off < n) throw new ProtocolError(`truncated ${what}`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32LE(this.off);
    this.off += 4;
    return v;
  }
  stringn(what: string): string | null {
    const len = this.u32(`${what} length`);
    if (len === 0) return null;
    this.need(len, what);
    const raw = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    // C reads up to the first NUL; anything after it is ignored.
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
  }
  timeval(what: string): Timeval {
    this.need(16, what);
    const sec = Number(this.buf.readBigInt64LE(this.off));
    const usec = Number(this.buf.readBigInt64LE(this.off + 8));
    this.off += 16;
    return { sec, usec };
  }
}

export function decodeHeader(buf: Buffer): Header {
  if (buf.length < HEADER_SIZE) throw new ProtocolError('truncated header');
  return {
    length: buf.readUInt32LE(0),
    version: buf.readUInt32LE(4),
    reqid: buf.readUInt32LE(8),
  };
}

function readCmd(r: Reader): CmdValue {
  const cmd = r.u32('cmd');
  if (cmd !== Cmd.RUN && cmd !== Cmd.STATUS && cmd !== Cmd.SCRIPT)
    throw new ProtocolError(`unknown command ${cmd}`);
  return cmd;
}

export function encodeRequest(reqid: number, req: Request): Buffer {
  const w = new Writer();
  w.u32(req.cmd);
  switch (req.cmd) {
    case Cmd.RUN:
      w.stringn(req.component);
      w.stringn(req.event);
      w.stringn(req.args);
      w.u32(req.timeout);
      w.u32(req.flags);
      break;
    case Cmd.STATUS:
      w.stringn(req.component);
      w.stringn(req.event);
      break;
    case Cmd.SCRIPT:
      w.stringn(req.component);
      w.stringn(req.script);
      w.u32(req.enable ? 1 : 0);
      break;
  }
  return w.packet(reqid);
}

/** Decodes one whole request packet (header included). Throws ProtocolError. */
export function decodeRequest(packet: Buffer): { header: Header; request: Request } {
  const header = decodeHeader(packet);
  const r = new Reader(packet.subarray(HEADER_SIZE));
  const cmd = readCmd(r);
  let request: Request;
  if (cmd === Cmd.RUN) {
    const component = r.stringn('component');
    const event = r.stringn('event');
    const args = r.stringn('args');
    const timeout = r.u32('timeout');
    const flags = r.u32('flags');
    request = { cmd, component, event, args, timeout, flags };
  } else if (cmd === Cmd.STATUS) {
    request = { cmd, component: r.stringn('component'), event: r.stringn('event') };
  } else {
    const component = r.stringn('component');
    const script = r.stringn('script');
    const action = r.u32('action');
    if (action !== 0 && action !== 1) throw new ProtocolError(`bad script action ${action}`);
    request = { cmd, component, script, enable: action === 1 };
  }
  return { header, request };
}

export function encodeReply(reqid: number, reply: Reply): Buffer {
  const w = new Writer();
  w.u32(reply.cmd);
  w.i32(reply.result);
  if (reply.result === 0 && reply.cmd === Cmd.STATUS) {
    const status = reply.status ?? { summary: 0, scripts: [] };
    w.i32(status.summary);
    w.i32(status.scripts.length);
    for (const s of status.scripts) {
      w.stringn(s.name);
      w.timeval(s.begin);
      w.timeval(s.end);
      w.i32(s.result);
      w.stringn(s.output);
    }
  }
  return w.packet(reqid);
}

/** Decodes one whole reply packet (header included). Throws ProtocolError. */
export function decodeReply(packet: Buffer): { header: Header; reply: Reply } {
  const header = decodeHeader(packet);
  const r = new Reader(packet.subarray(HEADER_SIZE));
  const cmd = readCmd(r);
  const result = r.i32('result');
  if (result !== 0 || cmd !== Cmd.STATUS) return { header, reply: { cmd, result } };
  const summary = r.i32('summary');
  const count = r.i32('num_scripts');
  if (count < 0) throw new ProtocolError(`negative script count ${count}`);
  const scripts: ScriptStatus[] = [];
  for (let i = 0; i < count; i++) {
    const name = r.stringn('script name') ?? '';
    const begin = r.timeval('begin');
    const end = r.timeval('end');
    const res = r.i32('script result');
    const output = r.stringn('output');
    scripts.push({ name, begin, end, result: res, output });
  }
  return { header, reply: { cmd, result, status: { summary, scripts } } };
}

/**
 * Splits a byte stream into whole packets by their leading length. Keeps partial data between
 * reads; a length below the header size or above `maxLength` is a protocol error.
 */
export class PacketFramer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLength = 64 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32LE(0);
      if (len < HEADER_SIZE || len > this.maxLength)
        throw new ProtocolError(`bad packet length ${len}`);
      if (this.pending.length < len) break;
      out.push(this.pending.subarray(0, len));
      this.pending = this.pending.subarray(len);
    }
    return out;
  }
}

/** A timeval for a wall-clock time in milliseconds. */
export function timevalFromMs(ms: number): Timeval {
  const sec = Math.floor(ms / 1000);
  return { sec, usec: Math.min(999_999, Math.floor((ms - sec * 1000) * 1000)) };
}
