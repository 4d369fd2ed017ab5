// The fork server driven directly over its protocol (runtime/eventd/fork-server.ts, header): the
// C program built from lib/native/fork_server.c, and the Perl one it replaces, which must answer
// alike. Real scripts, real process groups, real pipes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { serverProgram } from '../../runtime/eventd/fork-server.js';
import { nativeProgram } from '../../runtime/paths/index.js';
import { Errno } from '../../runtime/eventd/errno.js';
import { alive, sleep, waitUntil } from './support.js';

type Message =
  | { kind: 'O'; id: number; data: Buffer }
  | { kind: 'X'; id: number; pid: number; status: number }
  | { kind: 'D'; id: number; count: number; pid: number };

/** One fork server process and the messages it sent, parsed. */
class Server {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly messages: Message[] = [];
  private rest = Buffer.alloc(0);
  private payload: { id: number; remaining: number; parts: Buffer[] } | undefined;
  readonly exited: Promise<number | null>;

  constructor(file: string, args: string[], stdinText: string) {
    // fd 3 is the daemon's stdin, which scripts get as their fd 0: here a pipe holding a line.
    this.proc = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const fd3 = this.proc.stdio[3] as Writable;
    fd3.end(stdinText);
    this.proc.stdout.on('data', (b: Buffer) => this.onData(b));
    this.proc.stderr.resume();
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  private onData(chunk: Buffer): void {
    let data = Buffer.concat([this.rest, chunk]);
    for (;;) {
      const p = this.payload;
      if (p !== undefined) {
        const take = Math.min(p.remaining, data.length);
        p.parts.push(data.subarray(0, take));
        p.remaining -= take;
        data = data.subarray(take);
        if (p.remaining > 0) break;
        this.messages.push({ kind: 'O', id: p.id, data: Buffer.concat(p.parts) });
        this.payload = undefined;
        continue;
      }
      const nl = data.indexOf(10);
      if (nl < 0) break;
      const [kind, ...nums] = data.toString('latin1', 0, nl).split(' ');
      data = data.subarray(nl + 1);
      const [a = NaN, b = NaN, c = NaN] = nums.map(Number);
      if (kind === 'O') this.payload = { id: a, remaining: b, parts: [] };
      else if (kind === 'X') this.messages.push({ kind: 'X', id: a, pid: b, status: c });
      else if (kind === 'D') this.messages.push({ kind: 'D', id: a, count: b, pid: c });
      else throw new Error(`unknown reply ${kind}`);
    }
    this.rest = Buffer.from(data);
  }

  send(...fields: string[]): void {
    this.proc.stdin.write(`${fields.join('\0')}\0\0`);
  }

  /** B id runall codes nargs args… (path argv0)… */
  batch(
    id: number,
    scripts: readonly (readonly [string, string])[],
    opts: { args?: string[]; runAll?: boolean; codes?: number[] } = {},
  ): void {
    const args = opts.args ?? ['monitor'];
    this.send(
      'B',
      String(id),
      opts.runAll === true ? '1' : '0',
      (opts.codes ?? [0]).join(','),
      String(args.length),
      ...args,
      ...scripts.flat(),
    );
  }

  async end(id: number, ms = 5000): Promise<Extract<Message, { kind: 'D' }>> {
    await waitUntil(`the end of batch ${id}`, () => this.find('D', id) !== undefined, ms);
    return this.find('D', id)!;
  }

  async exit(id: number, ms = 5000): Promise<Extract<Message, { kind: 'X' }>> {
    await waitUntil(`the end of script ${id}`, () => this.find('X', id) !== undefined, ms);
    return this.find('X', id)!;
  }

  find<K extends Message['kind']>(kind: K, id: number): Extract<Message, { kind: K }> | undefined {
    return this.messages.find((m) => m.kind === kind && m.id === id) as
      Extract<Message, { kind: K }> | undefined;
  }

  output(id: number): string {
    return Buffer.concat(
      this.messages.flatMap((m) => (m.kind === 'O' && m.id === id ? [m.data] : [])),
    ).toString();
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

const exitStatus = (code: number): number => code << 8;
const execFailed = (errno: number): number => exitStatus(64 + errno);

const native = nativeProgram('ctdb_fork_server');
const perl = serverProgram({ ...process.env, CTDB_TS_EVENTD_FORK_SERVER: 'perl' });
const SERVERS = [
  {
    name: 'C fork server (build/Release/ctdb_fork_server)',
    program: native === undefined ? undefined : { file: native, args: [] as string[] },
    skip: 'build/Release/ctdb_fork_server is not built (lib/native/fork_server.c)',
    native: true,
  },
  {
    // The same program without pidfds: children's ends come by SIGCHLD (kernels before 5.3).
    name: 'C fork server on SIGCHLD (--no-pidfd)',
    program: native === undefined ? undefined : { file: native, args: ['--no-pidfd'] },
    skip: 'build/Release/ctdb_fork_server is not built (lib/native/fork_server.c)',
    native: true,
  },
  {
    name: 'Perl fork server',
    program: perl?.kind === 'perl' ? { file: perl.file, args: perl.args } : undefined,
    skip: 'no perl on PATH',
    native: false,
  },
];

for (const s of SERVERS) {
  const opts = s.program === undefined ? { skip: s.skip } : {};
  describe(s.name, opts, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fork-server-test-'));
    const servers: Server[] = [];
    /** Processes the scripts left behind on purpose, killed at the end. */
    const leftovers: number[] = [];
    const start = (stdinText = ''): Server => {
      const srv = new Server(s.program!.file, s.program!.args, stdinText);
      servers.push(srv);
      return srv;
    };
    const script = (name: string, body: string, mode = 0o755): string => {
      const file = join(dir, name);
      writeFileSync(file, body);
      chmodSync(file, mode);
      return file;
    };
    after(() => {
      for (const srv of servers) srv.kill();
      for (const pid of leftovers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });

    test('runs a batch in order, each script in its own group with argv[0], args and stdin', async () => {
      const srv = start('from the daemon\n');
      // `sh -c` sets $0 to its argv[0], so an ELF program shows the argv[0] it was given.
      const body =
        'set -- $(cat /proc/$$/stat); echo "$0 pid=$$ pgrp=$5"; read -r line; echo "$line"';
      srv.batch(
        10,
        [
          ['/bin/sh', 'first-name'],
          ['/bin/sh', 'second-name'],
        ],
        { args: ['-c', body] },
      );
      const d = await srv.end(10);
      assert.deepEqual(d, { kind: 'D', id: 10, count: 2, pid: 0 });
      // A script's output may come in several frames: one entry per run of them.
      const kinds = srv.messages
        .map((m) => `${m.kind}${m.id}`)
        .filter((k, i, all) => k !== all[i - 1]);
      assert.deepEqual(kinds, ['O10', 'X10', 'O11', 'X11', 'D10'], 'output, end, next, batch end');
      for (const [id, name] of [
        [10, 'first-name'],
        [11, 'second-name'],
      ] as const) {
        const x = srv.find('X', id)!;
        assert.equal(x.status, 0);
        const [first, second] = srv.output(id).split('\n');
        assert.equal(first, `${name} pid=${x.pid} pgrp=${x.pid}`, 'argv[0] as given; own group');
        // The first script read the line; the second finds the shared stdin at its end.
        assert.equal(second, id === 10 ? 'from the daemon' : '');
      }
    });

    test('continue codes, stop at the first failure, the status word of a signal', async () => {
      const srv = start();
      const mark = join(dir, 'never-ran');
      srv.batch(
        20,
        [
          [script('20a.sh', '#!/bin/sh\nexit 7\n'), '20a'],
          [script('20b.sh', '#!/bin/sh\nkill -TERM $$\n'), '20b'],
          [script('20c.sh', `#!/bin/sh\ntouch ${mark}\n`), '20c'],
        ],
        { codes: [0, 7] },
      );
      assert.deepEqual(await srv.end(20), { kind: 'D', id: 20, count: 2, pid: 0 });
      assert.equal(srv.find('X', 20)!.status, exitStatus(7));
      assert.equal(srv.find('X', 21)!.status, 15, 'killed by SIGTERM');
      assert.equal(srv.find('X', 22), undefined);
      assert.equal(existsSync(mark), false);
    });

    test('scripts that cannot run: missing, no #!, not executable; runall goes on', async () => {
      const srv = start();
      srv.batch(
        30,
        [
          [join(dir, 'missing.sh'), 'missing'],
          [script('30b.sh', 'echo no shebang\n'), '30b'],
          [script('30c.sh', '#!/bin/sh\necho hi\n', 0o644), '30c'],
          [script('30d.sh', '#!/bin/sh\necho last\n'), '30d'],
        ],
        { runAll: true },
      );
      assert.deepEqual(await srv.end(30), { kind: 'D', id: 30, count: 4, pid: 0 });
      assert.equal(srv.find('X', 30)!.status, execFailed(Errno.ENOENT));
      assert.equal(srv.find('X', 31)!.status, execFailed(Errno.ENOEXEC));
      assert.equal(srv.find('X', 31)!.pid, 0, 'a file without #! is not even forked');
      assert.equal(srv.find('X', 32)!.status, execFailed(Errno.EACCES));
      if (s.native) {
        // posix_spawn reports the failed exec to the server: no process was left to report.
        assert.equal(srv.find('X', 30)!.pid, 0);
        assert.equal(srv.find('X', 32)!.pid, 0);
      }
      for (const id of [30, 31, 32]) assert.equal(srv.output(id), '');
      assert.equal(srv.output(33), 'last\n');
      assert.equal(srv.find('X', 33)!.status, 0);
    });

    test('1 MB of output streams through whole and in order', async () => {
      const srv = start();
      const file = script('40.sh', '#!/bin/sh\nseq 1 200000\necho tail >&2\n');
      srv.batch(40, [[file, '40']]);
      await srv.end(40, 15000);
      const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('') + 'tail\n';
      assert.ok(expected.length > 1_000_000);
      assert.equal(srv.output(40), expected);
      const frames = srv.messages.filter((m) => m.kind === 'O');
      assert.ok(
        frames.every((m) => m.data.length <= 65536),
        'bounded frames',
      );
    });

    test('a background child holding the pipe open does not hold up the script’s end', async () => {
      const srv = start();
      const pidFile = join(dir, 'bg.pid');
      const t0 = Date.now();
      srv.batch(50, [
        [script('50a.sh', `#!/bin/sh\nsleep 30 &\necho $! > ${pidFile}\necho done\n`), '50a'],
        [script('50b.sh', '#!/bin/sh\necho next\n'), '50b'],
      ]);
      assert.deepEqual(await srv.end(50), { kind: 'D', id: 50, count: 2, pid: 0 });
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
      const bg = Number(readFileSync(pidFile, 'utf8'));
      leftovers.push(bg);
      assert.ok(alive(bg), 'the background child still runs');
      assert.equal(srv.output(50), 'done\n');
      assert.equal(srv.output(51), 'next\n');
    });

    test('cancel kills the running script’s whole process group; later scripts do not start', async () => {
      const srv = start();
      const pids = join(dir, 'cancel.pids');
      const mark = join(dir, 'after-cancel');
      srv.batch(60, [
        [
          script(
            '60a.sh',
            `#!/bin/sh\nsleep 60 &\necho "$$ $!" > ${pids}.tmp\nmv ${pids}.tmp ${pids}\nwait\n`,
          ),
          '60a',
        ],
        [script('60b.sh', `#!/bin/sh\ntouch ${mark}\n`), '60b'],
      ]);
      await waitUntil('the script to start', () => existsSync(pids));
      const [shell = 0, child = 0] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
      leftovers.push(shell, child);
      assert.ok(alive(shell) && alive(child));
      srv.send('C', '60');
      assert.deepEqual(await srv.end(60), { kind: 'D', id: 60, count: 1, pid: shell });
      await waitUntil('the group to die', () => !alive(shell) && !alive(child), 3000);
      const x = await srv.exit(60);
      assert.equal(x.status & 0x7f, 9, 'SIGKILL');
      await sleep(100);
      assert.equal(existsSync(mark), false);
      // Messages about an ended batch are ignored.
      srv.send('C', '60');
      srv.send('T', '60');
      srv.batch(61, [[script('61.sh', '#!/bin/sh\necho alive\n'), '61']]);
      await srv.end(61);
      assert.equal(srv.output(61), 'alive\n');
      assert.equal(srv.messages.filter((m) => m.kind === 'D' && m.id === 60).length, 1);
    });

    test('stop leaves the running script alone; its later output is dropped, its end still comes', async () => {
      const srv = start();
      const go = join(dir, 'stop.go');
      const mark = join(dir, 'after-stop');
      srv.batch(70, [
        [
          script(
            '70a.sh',
            `#!/bin/sh\necho before\nwhile [ ! -e ${go} ]; do sleep 0.02; done\necho after\nexit 3\n`,
          ),
          '70a',
        ],
        [script('70b.sh', `#!/bin/sh\ntouch ${mark}\n`), '70b'],
      ]);
      await waitUntil('its first line', () => srv.output(70) === 'before\n');
      srv.send('T', '70');
      const d = await srv.end(70);
      assert.equal(d.count, 1);
      assert.ok(d.pid > 0 && alive(d.pid), 'still running');
      leftovers.push(d.pid);
      writeFileSync(go, '');
      const x = await srv.exit(70);
      assert.equal(x.pid, d.pid);
      assert.equal(x.status, exitStatus(3));
      assert.equal(srv.output(70), 'before\n', 'what it printed after the stop is dropped');
      assert.equal(existsSync(mark), false);
    });

    test('when its input closes, the server kills every script group and exits', async () => {
      const srv = start();
      const pids = join(dir, 'close.pids');
      srv.batch(80, [
        [
          script(
            '80.sh',
            `#!/bin/sh\nsleep 60 &\necho "$$ $!" > ${pids}.tmp\nmv ${pids}.tmp ${pids}\nwait\n`,
          ),
          '80',
        ],
      ]);
      await waitUntil('the script to start', () => existsSync(pids));
      const [shell = 0, child = 0] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
      leftovers.push(shell, child);
      srv.proc.stdin.end();
      const code = await Promise.race([srv.exited, sleep(5000).then(() => 'hung')]);
      assert.equal(code, 0);
      await waitUntil('the scripts to die', () => !alive(shell) && !alive(child), 3000);
    });

    if (s.native)
      test('the C server stays small', async () => {
        const srv = start();
        srv.batch(90, [[script('90.sh', '#!/bin/sh\nexit 0\n'), '90']]);
        await srv.end(90);
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8'));
        const rssKb = Number(m?.[1]);
        assert.ok(rssKb > 0 && rssKb < 3000, `resident ${rssKb} kB`);
      });
  });
}
