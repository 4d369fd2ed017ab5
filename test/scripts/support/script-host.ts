// Drives the eventscripts of events/legacy inside a NetLab node: a hook server per script
// (one module load, many events — the daemon's fast path), a private CTDB_BASE and
// CTDB_SCRIPT_VARDIR, and a fake `ctdb` command.
//
// The fake `ctdb` stands in for the daemon, which cannot be started on demand here yet: it
// answers `pnn`, `-X ifaces`, `-X ip` from files, and records `setifacelink`, `gratarp` and
// other calls in a log file the tests read. When ctdbd exists, tests can point $CTDB at it.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { LabHost } from '../../support/netlab.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const LEGACY = join(ROOT, 'events/legacy');

export interface EventResult {
  readonly status: number;
  readonly output: string;
  readonly ms: number;
}

const FAKE_CTDB = `#!/bin/sh
# Fake ctdb for eventscript tests: state in $FAKE_CTDB_DIR.
d="$FAKE_CTDB_DIR"
echo "$*" >>"$d/calls"
case "$1" in
pnn) cat "$d/pnn" 2>/dev/null || echo 0 ;;
-X)
  case "$2" in
  ifaces) echo "|Name|LinkStatus|References|"; cat "$d/ifaces" 2>/dev/null ;;
  ip) echo "|Public IP|Node|"; cat "$d/ips" 2>/dev/null ;;
  gettickles) echo "|source ip|port|destination ip|port|" ;;
  *) echo "fake ctdb: unsupported -X $2" >&2; exit 1 ;;
  esac ;;
setifacelink|gratarp|attach|addtickle|deltickle|tickle) cat >/dev/null 2>&1 </dev/null; exit 0 ;;
*) echo "fake ctdb: unsupported $*" >&2; exit 1 ;;
esac
`;

/** A scratch CTDB installation for one node: CTDB_BASE, script vardir, fake ctdb. */
export class ScriptSandbox {
  readonly dir: string;
  readonly base: string;
  readonly varDir: string;
  readonly fakeDir: string;
  readonly ctdb: string;

  constructor(label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `h2b-${label}-`));
    this.base = join(this.dir, 'etc-ctdb');
    this.varDir = join(this.dir, 'scripts');
    this.fakeDir = join(this.dir, 'fake-ctdb');
    mkdirSync(join(this.base, 'events/legacy'), { recursive: true });
    mkdirSync(this.varDir, { recursive: true });
    mkdirSync(this.fakeDir, { recursive: true });
    this.ctdb = join(this.fakeDir, 'ctdb');
    writeFileSync(this.ctdb, FAKE_CTDB);
    chmodSync(this.ctdb, 0o755);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CTDB_BASE: this.base,
      CTDB_SCRIPT_VARDIR: this.varDir,
      CTDB: this.ctdb,
      FAKE_CTDB_DIR: this.fakeDir,
      CTDB_DEBUGLEVEL: 'ERROR',
      ...extra,
    };
  }

  /**
   * Installs events/legacy/SCRIPT.ts the way CTDB installs scripts, as a link in
   * $CTDB_BASE/events/legacy, and returns the link's path: the script's NN.name.options file is
   * then read from the sandbox.
   */
  install(script: string): string {
    const link = join(this.base, 'events/legacy', `${script}.ts`);
    symlinkSync(join(LEGACY, `${script}.ts`), link);
    return link;
  }

  write(rel: string, text: string): void {
    writeFileSync(join(this.base, rel), text);
  }

  /** Removes a directory under $CTDB_SCRIPT_VARDIR (a script's cached state). */
  removeState(rel: string): void {
    rmSync(join(this.varDir, rel), { recursive: true, force: true });
  }

  remove(rel: string): void {
    rmSync(join(this.base, rel), { force: true });
  }

  /** The fake ctdb's call log, one line per call. */
  calls(): string[] {
    try {
      return readFileSync(join(this.fakeDir, 'calls'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  clearCalls(): void {
    rmSync(join(this.fakeDir, 'calls'), { force: true });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One eventscript loaded once in a long-lived process inside a namespace. */
export class HookServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: Interface,
    private readonly iterator: AsyncIterator<string>,
  ) {}

  /**
   * Starts a hook server for events/legacy/SCRIPT.ts (or for PATH, e.g. a link to it in a
   * sandbox's events/legacy, whose folder then holds the script's options file).
   */
  static async start(
    script: string,
    env: NodeJS.ProcessEnv,
    host?: LabHost,
    path: string = join(LEGACY, `${script}.ts`),
  ): Promise<HookServer> {
    const argv = [
      process.execPath,
      '--import',
      'tsx',
      join(ROOT, 'test/scripts/support/hook-server.ts'),
      path,
    ];
    const full = host === undefined ? argv : ['ip', 'netns', 'exec', host.ns, ...argv];
    const child = spawn(full[0]!, full.slice(1), {
      env,
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const server = new HookServer(child, lines, iterator);
    const first = await server.next(20_000);
    if (!first.includes('ready')) throw new Error(`hook server did not start: ${first}`);
    return server;
  }

  private async next(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('hook server did not answer in time')), timeoutMs);
    });
    try {
      const r = await Promise.race([this.iterator.next(), timeout]);
      if (r.done === true) throw new Error('hook server exited');
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  async run(event: string, ...words: string[]): Promise<EventResult> {
    this.child.stdin!.write(`${JSON.stringify({ event, words })}\n`);
    return JSON.parse(await this.next(60_000)) as EventResult;
  }

  async stop(): Promise<void> {
    this.lines.close();
    this.child.stdin!.end();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
      await exited;
    }
  }
}
