// Loads the rawnet addon (lib/native/rawnet.c, built by `npm ci` into build/Release) and
// turns its errno-coded errors into RawNetError. Loaded on first use, so that code which only
// parses connection strings works without the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawNetError, TcpError } from './errors.js';

/** A TCP segment seen by a capture socket. Addresses are 4 or 16 bytes. */
export interface CapturedSegment {
  readonly src: Buffer;
  readonly sport: number;
  readonly dst: Buffer;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  /** TCP flag bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
  readonly flags: number;
  readonly window: number;
}

interface RawnetAddon {
  sendArp(iface: string, addr: Buffer, reply: boolean): boolean;
  sendNeighbourAdvert(iface: string, addr: Buffer): boolean;
  sendTcp(
    src: Buffer,
    sport: number,
    dst: Buffer,
    dport: number,
    seq: number,
    ack: number,
    rst: boolean,
  ): void;
  captureOpen(): number;
  captureRead(fd: number, timeoutMs: number, maxPackets: number): Promise<CapturedSegment[]>;
  captureClose(fd: number): Promise<void>;
  hasAddress(addr: Buffer): boolean;
}

/** The window our own tickles and resets carry, so a capture can recognise them. */
export const TICKLE_WINDOW = 1234;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

let addon: RawnetAddon | undefined;

function findAddon(): string {
  // Walk up from this file (lib/tcp in the source tree, dist/lib/tcp when built).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'Release', 'rawnet.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new TcpError('rawnet addon not found (build/Release/rawnet.node); run `npm ci`');
}

function load(): RawnetAddon {
  addon ??= createRequire(import.meta.url)(findAddon()) as RawnetAddon;
  return addon;
}

interface AddonError {
  errno: number;
  code: string;
  operation: string;
  object: string;
  description: string;
  message: string;
}

function isAddonError(err: unknown): err is AddonError {
  return err instanceof Error && typeof (err as Partial<AddonError>).errno === 'number';
}

/** Converts the addon's errors into RawNetError; anything else passes through. */
export function toRawNetError(err: unknown): unknown {
  if (!isAddonError(err)) return err;
  return new RawNetError(
    err.code,
    err.errno,
    err.operation,
    err.object,
    err.description,
    err.message,
  );
}

function call<T>(fn: (a: RawnetAddon) => T): T {
  const a = load();
  try {
    return fn(a);
  } catch (err) {
    throw toRawNetError(err);
  }
}

export const rawnet = {
  sendArp: (iface: string, addr: Buffer, reply: boolean): boolean =>
    call((a) => a.sendArp(iface, addr, reply)),
  sendNeighbourAdvert: (iface: string, addr: Buffer): boolean =>
    call((a) => a.sendNeighbourAdvert(iface, addr)),
  sendTcp: (
    src: Buffer,
    sport: number,
    dst: Buffer,
    dport: number,
    seq: number,
    ack: number,
    rst: boolean,
  ): void => {
    call((a) => {
      a.sendTcp(src, sport, dst, dport, seq, ack, rst);
    });
  },
  captureOpen: (): number => call((a) => a.captureOpen()),
  captureRead: async (fd: number, timeoutMs: number, maxPackets: number) => {
    try {
      return await call((a) => a.captureRead(fd, timeoutMs, maxPackets));
    } catch (err) {
      throw toRawNetError(err);
    }
  },
  /** Frees `fd` at once; the returned promise settles when the socket is actually closed. */
  captureClose: (fd: number): Promise<void> => call((a) => a.captureClose(fd)),
  /** Whether an interface of this network namespace holds the address (4 or 16 bytes). */
  hasAddress: (addr: Buffer): boolean => call((a) => a.hasAddress(addr)),
};
