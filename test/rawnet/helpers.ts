// Shared pieces of the raw-networking namespace tests.
import { resolve } from 'node:path';
import type { LabHost, LabProcess } from '../support/netlab.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const OP = resolve(ROOT, 'test/rawnet/fixtures/rawnet-op.ts');
const PEER = resolve(ROOT, 'test/rawnet/fixtures/tcp-peer.cjs');
export const KILLTCP = resolve(ROOT, 'tools/ctdb_killtcp.ts');

/** Runs a rawnet-op inside `host` and returns its parsed JSON output. */
export async function op(host: LabHost, ...args: string[]): Promise<unknown> {
  const r = await host.run([process.execPath, '--import', 'tsx', OP, ...args], {
    cwd: ROOT,
    timeoutMs: 20_000,
  });
  if (r.code !== 0)
    throw new Error(`rawnet-op ${args.join(' ')} failed (${String(r.code)}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as unknown;
}

export interface PeerEvent {
  t: number;
  event: string;
  code?: string;
  localPort?: number;
}

export function events(p: LabProcess): PeerEvent[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as PeerEvent);
}

export async function startServer(host: LabHost, addr: string, port: number): Promise<LabProcess> {
  const p = host.spawn([process.execPath, PEER, 'server', addr, String(port)], { cwd: ROOT });
  await p.waitForOutput(/listening/);
  return p;
}

/** Connects from `host` and resolves with the process and the client's local port. */
export async function startClient(
  host: LabHost,
  addr: string,
  port: number,
): Promise<{ proc: LabProcess; localPort: number }> {
  const p = host.spawn([process.execPath, PEER, 'client', addr, String(port)], { cwd: ROOT });
  const m = await p.waitForOutput(/"localPort":(\d+)/);
  return { proc: p, localPort: Number(m[1]) };
}

/** Waits until the client reports its socket ended; returns the events, or undefined on timeout. */
export async function waitForClose(
  p: LabProcess,
  timeoutMs: number,
): Promise<PeerEvent[] | undefined> {
  try {
    await p.waitForOutput(/"event":"close"/, timeoutMs);
    return events(p);
  } catch {
    return undefined;
  }
}

export async function macOf(host: LabHost, iface: string): Promise<string> {
  return (await host.check(['cat', `/sys/class/net/${iface}/address`])).trim();
}

/** The MAC the host's neighbour table holds for `ip`, or undefined. */
export async function neighbourMac(host: LabHost, ip: string): Promise<string | undefined> {
  const out = await host.check(['ip', '-j', 'neigh', 'show', 'to', ip]);
  const rows = JSON.parse(out || '[]') as { lladdr?: string }[];
  return rows[0]?.lladdr;
}

/** Polls `fn` every 50 ms until it returns true or `timeoutMs` passes. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
