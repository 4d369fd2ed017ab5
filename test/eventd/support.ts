// Helpers for the event daemon tests: a temporary CTDB_BASE in CTDB_TEST_MODE, our daemon (or
// Debian's) started on it as a real process, and the tools run against it.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { EventdClient } from '../../runtime/eventd/client.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEBIAN_EVENT_TOOL = '/usr/libexec/ctdb/ctdb-event';
export const DEBIAN_EVENTD = '/usr/libexec/ctdb/ctdb-eventd';
/** tsx's loader by absolute URL, so processes started in other folders still find it. */
export const TSX = import.meta.resolve('tsx');
export const haveDebian = existsSync(DEBIAN_EVENT_TOOL) && existsSync(DEBIAN_EVENTD);

export interface Fixture {
  readonly base: string;
  readonly legacy: string;
  readonly share: string;
  readonly env: NodeJS.ProcessEnv;
  /** Writes `events/<component>/<file>` (or an absolute path) with a mode. */
  write(file: string, text: string, mode?: number): string;
  cleanup(): void;
}

/** A fresh CTDB_BASE with events/legacy, share/events/legacy, run/ and a bin/ on PATH. */
export function makeFixture(): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'eventd-test-'));
  const legacy = join(base, 'events', 'legacy');
  const share = join(base, 'share', 'events', 'legacy');
  const bin = join(base, 'bin');
  for (const d of [legacy, share, join(base, 'run'), bin, join(base, 'var')])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(base, 'ctdb.conf'), '');
  // The launcher named in TypeScript eventscripts' shebang line.
  const launcher = join(bin, 'ctdb-eventscript');
  writeFileSync(
    launcher,
    `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${join(ROOT, 'tools/ctdb-eventscript.ts')}" "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CTDB_TEST_MODE: 'yes',
    CTDB_BASE: base,
    CTDB_SCRIPT_VARDIR: join(base, 'var'),
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    TZ: 'UTC',
  };
  delete env.CTDB_EVENT_RUN_ALL;
  delete env.CTDB_EVENT_HELPER;
  return {
    base,
    legacy,
    share,
    env,
    write(file, text, mode = 0o755) {
      const path = file.startsWith('/') ? file : join(legacy, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      chmodSync(path, mode);
      return path;
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly log: () => string;
  stop(): Promise<void>;
}

async function waitForFile(
  path: string,
  ms: number,
  proc: ChildProcess,
  log: () => string,
): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}): ${log()}`);
    if (Date.now() > until) throw new Error(`${path} did not appear in ${ms} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts our ctdb-eventd (or Debian's with `debian: true`) on the fixture. */
export async function startDaemon(fx: Fixture, opts: { debian?: boolean } = {}): Promise<Daemon> {
  const cmd =
    opts.debian === true
      ? [DEBIAN_EVENTD]
      : [process.execPath, '--import', TSX, join(ROOT, 'tools/ctdb-eventd.ts')];
  const proc = spawn(cmd[0]!, cmd.slice(1), {
    env: { ...fx.env, CTDB_INTERACTIVE: 'yes' },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fx.base,
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const log = (): string => out;
  await waitForFile(join(fx.base, 'run', 'eventd.pid'), 30000, proc, log);
  await waitForFile(join(fx.base, 'run', 'eventd.socket'), 5000, proc, log);
  return {
    proc,
    log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a time limit, capturing its output. */
export function run(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  limitMs = 60000,
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} took over ${limitMs} ms`));
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
    });
  });
}

/** Debian's ctdb-event tool. */
export function debianTool(fx: Fixture, ...args: string[]): Promise<Ran> {
  return run(DEBIAN_EVENT_TOOL, args, fx.env);
}

/** Our `ctdb` command (tools/ctdb.ts). */
export function ourCtdb(fx: Fixture, ...args: string[]): Promise<Ran> {
  return run(process.execPath, ['--import', TSX, join(ROOT, 'tools/ctdb.ts'), ...args], fx.env);
}

/** Our `ctdb-event` tool (tools/ctdb-event.ts). */
export function ourTool(fx: Fixture, ...args: string[]): Promise<Ran> {
  return run(
    process.execPath,
    ['--import', TSX, join(ROOT, 'tools/ctdb-event.ts'), ...args],
    fx.env,
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Replaces the variable parts of status lines (duration, date) so outputs compare. */
export function normaliseStatus(text: string): string {
  return text
    .replace(/ \d+\.\d{3} /g, ' DURATION ')
    .replace(/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/g, 'DATETIME');
}

export const TS_HEADER = `#!/usr/bin/env ctdb-eventscript
import { defineEventScript } from 'ctdb-ts/eventscript';
`;

/**
 * For a describe block: before its tests, a fresh fixture (its environment adjusted by
 * `setEnv`), our daemon on it and a client connected to its socket; after them, all three
 * gone. The returned object's fields are valid inside the tests.
 */
export function daemonForSuite(setEnv: (env: NodeJS.ProcessEnv) => void = () => undefined): {
  readonly fx: Fixture;
  readonly daemon: Daemon;
  readonly client: EventdClient;
} {
  const s = {} as { fx: Fixture; daemon: Daemon; client: EventdClient };
  before(async () => {
    s.fx = makeFixture();
    setEnv(s.fx.env);
    s.daemon = await startDaemon(s.fx);
    s.client = await EventdClient.connect(join(s.fx.base, 'run', 'eventd.socket'));
  });
  after(async () => {
    // Fields are unset when `before` failed part-way.
    const partial = s as Partial<typeof s>;
    partial.client?.close();
    await partial.daemon?.stop();
    partial.fx?.cleanup();
  });
  return s;
}

/** True while `pid` runs (a zombie that nobody reaps counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `ok` every 10 ms; throws naming `what` after `ms`. */
export async function waitUntil(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
