// Calling the `ctdb` command line ($CTDB) the way CTDB's eventscripts do, and parsing its
// `-X` machine-readable output (`|field|field|` rows after a header row).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdbOutputError } from '../errors/index.js';
import { run, runAllowingFailure, type RunResult } from '../shell/index.js';
import { ctdbCommand, ctdbScriptVarDir, type ScriptEnv } from './env.js';

export interface CtdbCallOptions {
  readonly env: ScriptEnv;
  readonly signal?: AbortSignal;
}

function runOpts(opts: CtdbCallOptions, input?: string) {
  return {
    env: { ...process.env, ...opts.env },
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(input === undefined ? {} : { input }),
  };
}

/** Runs `$CTDB ARGS…`; a non-zero exit rejects with CommandError. */
export function ctdb(
  args: readonly string[],
  opts: CtdbCallOptions,
  input?: string,
): Promise<RunResult> {
  return run(ctdbCommand(opts.env), args, runOpts(opts, input));
}

/** Runs `$CTDB ARGS…` and resolves whatever its exit code. */
export function ctdbStatus(
  args: readonly string[],
  opts: CtdbCallOptions,
  input?: string,
): Promise<RunResult> {
  return runAllowingFailure(ctdbCommand(opts.env), args, runOpts(opts, input));
}

/** Splits `-X` output into rows of fields; the header row is dropped. */
export function parseMachineOutput(text: string, command = 'ctdb -X'): string[][] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  for (const l of lines) {
    if (!l.startsWith('|'))
      throw new CtdbOutputError(command, text, `line '${l}' does not start with '|'`);
  }
  return lines.slice(1).map((l) => l.replace(/^\|/, '').replace(/\|$/, '').split('|'));
}

/** This node's PNN, cached in `$CTDB_SCRIPT_VARDIR/my-pnn` as CTDB's functions cache it. */
export async function ctdbPnn(opts: CtdbCallOptions): Promise<number> {
  const cache = join(ctdbScriptVarDir(opts.env), 'my-pnn');
  let text: string;
  try {
    text = await readFile(cache, 'utf8');
  } catch {
    text = (await ctdb(['pnn'], opts)).stdout;
    await writeFile(cache, text).catch(() => undefined);
  }
  const m = /(\d+)/.exec(text);
  if (m === null) throw new CtdbOutputError('ctdb pnn', text, 'no PNN in output');
  return Number(m[1]);
}

export interface PublicIpRow {
  readonly ip: string;
  /** The PNN hosting it, -1 when nobody does. */
  readonly pnn: number;
}

/** `ctdb -X ip`: every public address and who hosts it. */
export async function ctdbIps(opts: CtdbCallOptions): Promise<PublicIpRow[]> {
  const r = await ctdb(['-X', 'ip'], opts);
  return parseMachineOutput(r.stdout, 'ctdb -X ip').map((f) => ({
    ip: f[0] ?? '',
    pnn: Number(f[1] ?? -1),
  }));
}

export interface IfaceRow {
  readonly name: string;
  readonly linkUp: boolean;
  readonly references: number;
}

/** `ctdb -X ifaces`: the interfaces ctdbd has public addresses on. */
export async function ctdbIfaces(opts: CtdbCallOptions): Promise<IfaceRow[]> {
  const r = await ctdb(['-X', 'ifaces'], opts);
  return parseMachineOutput(r.stdout, 'ctdb -X ifaces').map((f) => ({
    name: f[0] ?? '',
    linkUp: f[1] === '1',
    references: Number(f[2] ?? 0),
  }));
}

/** `ctdb setifacelink IFACE up|down`, output discarded as the shell does. */
export async function ctdbSetIfaceLink(
  iface: string,
  up: boolean,
  opts: CtdbCallOptions,
): Promise<void> {
  await ctdbStatus(['setifacelink', iface, up ? 'up' : 'down'], opts);
}

/** `ctdb gratarp IP IFACE`: ask ctdbd to announce IP on IFACE. */
export async function ctdbGratarp(
  ip: string,
  iface: string,
  opts: CtdbCallOptions,
): Promise<RunResult> {
  return ctdbStatus(['gratarp', ip, iface], opts);
}

export interface TickleRow {
  readonly src: string;
  readonly dst: string;
}

/** `ctdb -X gettickles IP [PORT]`: the connections ctdbd remembers for IP, as `addr:port` pairs. */
export async function ctdbGetTickles(
  ip: string,
  opts: CtdbCallOptions & { port?: number },
): Promise<TickleRow[]> {
  const args = ['-X', 'gettickles', ip, ...(opts.port === undefined ? [] : [String(opts.port)])];
  const r = await ctdb(args, opts);
  return parseMachineOutput(r.stdout, 'ctdb -X gettickles').map((f) => ({
    src: `${f[0]}:${f[1]}`,
    dst: `${f[2]}:${f[3]}`,
  }));
}

/** `ctdb addtickle` / `ctdb deltickle` with "SRC DST" lines on stdin. */
export async function ctdbUpdateTickles(
  op: 'addtickle' | 'deltickle',
  pairs: readonly TickleRow[],
  opts: CtdbCallOptions,
): Promise<void> {
  if (pairs.length === 0) return;
  await ctdb([op], opts, pairs.map((p) => `${p.src} ${p.dst}\n`).join(''));
}

/** `ctdb checktcpport PORT`: true when something is listening (exit 98, could not bind). */
export async function ctdbCheckTcpPort(port: number, opts: CtdbCallOptions): Promise<boolean> {
  const r = await ctdbStatus(['checktcpport', String(port)], opts);
  if (r.exitCode === 98) return true;
  if (r.exitCode === 0) return false;
  throw new CtdbOutputError(
    `ctdb checktcpport ${port}`,
    r.stdout + r.stderr,
    `unexpected exit ${r.exitCode}`,
  );
}
