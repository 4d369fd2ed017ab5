// Helpers for the networking eventscript tests on a FaultCluster (scripts-natgw, scripts-per-ip-
// routing): files in each node's CTDB_BASE, scripts enabled as an admin would, a node turned
// into one without public addresses, a TCP listener in the client namespace that tells each
// connection the address it came from, and one-shot TCP connects from any namespace.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand } from '../../../runtime/paths/index.js';
import { FaultCluster, type FaultClusterOptions } from '../../support/fault-cluster.js';
import type { LabHost, LabProcess } from '../../support/netlab.js';

/** Held (as a directory) while one of these test files starts its cluster. */
const STARTUP_LOCK = join(tmpdir(), 'ctdb-ts-scripts-net-startup.lock');
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 180_000;

/**
 * FaultCluster.create, one at a time among the scripts-* files: six daemons and their event
 * daemons starting at once on a small machine can miss ctdbd's event daemon start-up deadline.
 * Waits at most `waitMs` for the other file's start-up, then goes ahead anyway.
 */
export async function createClusterInTurn(
  options: FaultClusterOptions,
  waitMs = 120_000,
): Promise<FaultCluster> {
  const deadline = Date.now() + waitMs;
  let held = false;
  while (!held && Date.now() < deadline) {
    try {
      mkdirSync(STARTUP_LOCK);
      held = true;
    } catch {
      try {
        if (Date.now() - statSync(STARTUP_LOCK).mtimeMs > STALE_LOCK_MS)
          rmSync(STARTUP_LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(250);
    }
  }
  try {
    return await FaultCluster.create(options);
  } finally {
    if (held) rmSync(STARTUP_LOCK, { recursive: true, force: true });
  }
}

/** Debian's helper directory, which the eventscripts use unless CTDB_HELPER_BINDIR says otherwise. */
const DEBIAN_HELPER_BINDIR = '/usr/libexec/ctdb';

/**
 * A CTDB_HELPER_BINDIR for the daemons under test: our `tools` for the named helpers, Debian's
 * for the rest. Outside test mode nothing tells an eventscript where our helpers are, so
 * without this 11.natgw would run Debian's ctdb_natgw (a shell script that needs
 * /etc/ctdb/functions). Set it in process.env before FaultCluster.create: the daemons inherit
 * it, and so do their eventscripts.
 */
export function helperBinDir(ours: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-helpers-'));
  for (const name of readdirSync(DEBIAN_HELPER_BINDIR))
    if (!ours.includes(name)) symlinkSync(join(DEBIAN_HELPER_BINDIR, name), join(dir, name));
  for (const name of ours) {
    const argv = helperCommand(name)
      .map((a) => `'${a}'`)
      .join(' ');
    writeFileSync(join(dir, name), `#!/bin/sh\nexec ${argv} "$@"\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** Writes `rel` (relative to CTDB_BASE) on every node; the daemon sees it as /etc/ctdb/<rel>. */
export function writeOnEveryNode(c: FaultCluster, rel: string, text: string): void {
  for (const n of c.nodes) {
    const file = join(n.base, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** Writes a file in the cluster's shared directory (visible at the same path everywhere). */
export function writeShared(c: FaultCluster, name: string, text: string): string {
  const file = join(c.dir, 'shared', name);
  writeFileSync(file, text);
  return file;
}

/** `ctdb enablescript NAME` on every node, through the matching tool. */
export async function enableScriptEverywhere(c: FaultCluster, name: string): Promise<void> {
  await Promise.all(c.nodes.map((n) => c.ctdbOk(n.pnn, ['enablescript', name])));
}

/**
 * Makes node pnn one without public addresses, as an admin would on a live node: `ctdb delip`
 * of each (the daemon releases one it holds at the next takeover run), then `ctdb ipreallocate`;
 * its public_addresses file is emptied too, so that a restart keeps it that way.
 */
export async function dropPublicAddresses(
  c: FaultCluster,
  pnn: number,
  timeoutMs: number,
): Promise<void> {
  writeFileSync(join(c.node(pnn).base, 'public_addresses'), '');
  await Promise.all(c.publicAddresses.map((a) => c.ctdbOk(pnn, ['delip', a], timeoutMs)));
  await c.ctdbOk(pnn, ['ipreallocate'], timeoutMs);
  const others = c.nodes.map((n) => n.pnn).filter((p) => p !== pnn);
  await c.waitFor(
    () => c.eachAddressHostedOnce(others),
    timeoutMs,
    `node ${pnn}'s public addresses taken over by the others`,
  );
}

/** The IPv4 addresses on a host's interface. */
export async function ipv4Addresses(host: LabHost, dev: string): Promise<string[]> {
  const out = await host.check(['ip', '-o', '-4', 'addr', 'show', 'dev', dev]);
  return [...out.matchAll(/\binet ([0-9.]+)\//g)].map((m) => m[1]!);
}

// Listens on PORT (all addresses) and writes the peer's address to each connection.
const PEER_ECHO = `
const port = Number(process.argv[1]);
require('net').createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress.replace(/^::ffff:/, '') + '\\n'); })
  .listen({ port, host: '0.0.0.0' }, () => console.log('listening'));
`;

/** Starts the peer-echo listener on `host`; the lab kills it at destroy. */
export async function startPeerEcho(host: LabHost, port: number): Promise<LabProcess> {
  const p = host.spawn([process.execPath, '-e', PEER_ECHO, String(port)]);
  await p.waitForOutput(/listening/, 10_000);
  return p;
}

// Connects to ADDR:PORT (from LOCAL if given), prints the first line received or "ERR code".
const CONNECT_ONCE = `
const [addr, port, ms, local] = process.argv.slice(1);
const s = require('net').connect({ host: addr, port: Number(port), ...(local ? { localAddress: local } : {}) });
let buf = '';
const t = setTimeout(() => { console.log('ERR TIMEOUT'); process.exit(0); }, Number(ms));
s.setEncoding('utf8');
s.on('data', (d) => { buf += d; if (buf.includes('\\n')) { clearTimeout(t); console.log(buf.trim()); process.exit(0); } });
s.on('error', (e) => { clearTimeout(t); console.log('ERR ' + e.code); process.exit(0); });
`;

/**
 * One TCP connect from `host`'s namespace: the first line the peer sent, or undefined when the
 * connection failed or said nothing within timeoutMs.
 */
export async function connectOnce(
  host: LabHost,
  address: string,
  port: number,
  opts: { timeoutMs?: number; localAddress?: string } = {},
): Promise<string | undefined> {
  const ms = opts.timeoutMs ?? 1500;
  const r = await host.run(
    [
      process.execPath,
      '-e',
      CONNECT_ONCE,
      address,
      String(port),
      String(ms),
      ...(opts.localAddress === undefined ? [] : [opts.localAddress]),
    ],
    { timeoutMs: ms + 5000 },
  );
  const line = r.stdout.trim();
  return line === '' || line.startsWith('ERR') ? undefined : line;
}
