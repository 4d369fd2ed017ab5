// A small, long-lived fork server for exec'd scripts. Forking the daemon itself (a large,
// multi-threaded Node process) costs milliseconds per script; a tiny process forks in a fraction
// of that. Two programs speak the same protocol: the C one (lib/native/fork_server.c, built as
// build/Release/ctdb_fork_server: vfork, pidfds, about 1 MB resident) when it is built, else
// the Perl one below (perl-base is Essential on Debian: it works without a compiler).
// CTDB_TS_EVENTD_FORK_SERVER=perl picks the Perl one even when the C one is there.
// Per script the server does what CTDB's run_proc does: the child gets a new process group, the
// daemon's stdin, stdout and stderr on one pipe, argv[0] = the script name, and exits 64+errno
// if exec fails; the server reads the pipe while the script runs and, when the script exits,
// drains what is left and reports the wait status.
//
// It runs a batch — the consecutive exec'd scripts of one event — by itself: when a script ends
// with a status that lets the run go on, the next one is forked at once, without waiting for the
// daemon. So a script costs what it costs under CTDB (fork, exec, exit, one wake-up), the daemon
// does no file work, and the stream back carries one message per script. The daemon can stop a
// batch (deadline: the running script is left alone) or cancel it (its process group is killed
// at once); either way the server answers with the batch's end, naming the script still running.
// When the daemon goes away (its end of the pipe closes), every script still running is killed.
//
// Requests (daemon → server): NUL-separated fields ending in an empty field:
//   B id runall continue-codes nargs args… (path argv0)…   run a batch; script k gets id+k
//   T id                                                  stop the batch after the running script
//   C id                                                  cancel: SIGKILL the running script's group
// Replies (server → daemon), one header line each:
//   O id length      followed by `length` raw output bytes of script `id`
//   X id pid status  script `id` ended (after all its output), status as from wait(); pid 0 if
//                    it never ran (status then says exit 64+errno): fork failed, the file
//                    starts with neither #! nor ELF (ENOEXEC, as execv() would fail), or (C
//                    server: its vfork child hands a failed exec's errno back) exec failed
//   D id count pid   batch `id` ended after starting `count` scripts; `pid` is the one still
//                    running (stopped or cancelled), else 0. Its later output is dropped; its
//                    X still comes when it ends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { nativeProgram } from '../paths/index.js';

const PERL = String.raw`
# Kept small on purpose (no POSIX, strict or warnings): every fork copies this process.
use Fcntl (); use Errno ();
# The child does as little as possible between fork and exec (each step it takes copies memory
# pages): its descriptors are set up here instead. Requests and replies move off fds 0 and 1;
# fd 0 becomes the daemon's stdin (passed as fd 3), which scripts inherit as under CTDB; fds 1
# and 2 point at the next script's pipe just while it is forked, else at /dev/null.
open(my $req, '<&', \*STDIN) or die "dup: $!";
open(my $reply, '>&', \*STDOUT) or die "dup: $!";
binmode $req; binmode $reply;
open(my $null, '+<', '/dev/null') or die "/dev/null: $!";
my $in3;
if (open($in3, '<&=', 3) && defined fcntl($in3, Fcntl::F_GETFD(), 0)) {
  open(STDIN, '<&', $in3); close($in3);
} else {
  open(STDIN, '<&', $null);
}
open(STDOUT, '>&', $null); open(STDERR, '>&', $null);
pipe(my $sr, my $sw) or die "pipe: $!";
fcntl($sw, Fcntl::F_SETFL(), Fcntl::O_NONBLOCK());
$SIG{CHLD} = sub { syswrite($sw, "x") };
# Replies are gathered and written once per turn of the loop, so a script's output, its end
# and its batch's end reach the daemon in one read.
my $out = '';
sub put { $out .= shift; flush() if length($out) >= 65536; }
sub flush {
  my $off = 0;
  while ($off < length $out) {
    my $n = syswrite($reply, $out, length($out) - $off, $off);
    if (!defined $n) { next if $!{EINTR} || $!{EAGAIN}; exit 0; }
    $off += $n;
  }
  $out = '';
}
my %jobs;     # pid => { id, fh, quiet, batch }
my %byfd;     # fileno => pid
my %batches;  # id => { id, runall, ok, args, list, n, pid }
sub pass {    # one read from a job's pipe; false at EOF or when nothing is there
  my $j = shift;
  my $n = sysread($j->{fh}, my $data, 65536);
  if (defined $n && $n > 0) {
    put("O $j->{id} $n\n$data") unless $j->{quiet};
    return 1;
  }
  return 1 if !defined $n && $!{EINTR};
  return 0 if !defined $n && $!{EAGAIN};
  delete $byfd{fileno $j->{fh}}; close($j->{fh}); $j->{fh} = undef;
  return 0;
}
sub forkone {  # (pid, pipe) or (0, errno)
  my ($path, $argv0, $args) = @_;
  # execv(), not execvp(): no /bin/sh fallback for a file the kernel cannot run (as if exec
  # had failed with ENOEXEC: the child would exit 64+ENOEXEC).
  if (open(my $fh, '<', $path)) {
    my $magic = '';
    sysread($fh, $magic, 4);
    close($fh);
    return (0, Errno::ENOEXEC()) unless $magic =~ /^(#!|\x7fELF)/;
  }
  my ($r, $w);
  return (0, $! + 0) unless pipe($r, $w);
  open(STDOUT, '>&', $w); open(STDERR, '>&', $w); close($w);
  my $pid = fork();
  if (!defined $pid) {
    my $e = $! + 0;
    open(STDOUT, '>&', $null); open(STDERR, '>&', $null); close($r);
    return (0, $e);
  }
  if ($pid == 0) {
    setpgrp(0, 0) or exit(64 + $!);
    exec { $path } $argv0, @$args;
    exit(64 + $!);
  }
  open(STDOUT, '>&', $null); open(STDERR, '>&', $null);
  fcntl($r, Fcntl::F_SETFL(), Fcntl::O_NONBLOCK());
  $byfd{fileno $r} = $pid;
  return ($pid, $r);
}
sub goes_on {
  my ($b, $st) = @_;
  return 1 if $b->{runall};
  return 0 if $st & 0x7f;
  return exists $b->{ok}{$st >> 8};
}
sub end_batch {
  my $b = shift;
  delete $batches{$b->{id}};
  $jobs{$b->{pid}}{quiet} = 1 if $b->{pid};
  put("D $b->{id} $b->{n} $b->{pid}\n");
}
sub launch {   # start the batch's next script (or end the batch)
  my $b = shift;
  $b->{pid} = 0;
  while ($b->{n} < @{$b->{list}}) {
    my ($path, $argv0) = @{$b->{list}[$b->{n}]};
    my $id = $b->{id} + $b->{n};
    $b->{n}++;
    my ($pid, $r) = forkone($path, $argv0, $b->{args});
    if ($pid) {
      $jobs{$pid} = { id => $id, fh => $r, quiet => 0, batch => $b, polls => 0 };
      $b->{pid} = $pid;
      return;
    }
    my $st = ((64 + $r) & 0xff) << 8;
    put("X $id 0 $st\n");
    last unless goes_on($b, $st);
  }
  end_batch($b);
}
sub reap {
  while ((my $pid = waitpid(-1, 1)) > 0) {   # 1 = WNOHANG on Linux
    my $st = $?;
    my $j = delete $jobs{$pid} or next;
    if ($j->{fh}) {
      while (pass($j)) {}
      if ($j->{fh}) { delete $byfd{fileno $j->{fh}}; close($j->{fh}); }
    }
    put("X $j->{id} $pid $st\n");
    my $b = $j->{batch};
    next unless $batches{$b->{id}} && $b->{pid} == $pid;
    if (goes_on($b, $st)) { launch($b); } else { $b->{pid} = 0; end_batch($b); }
  }
}
sub request {
  my ($kind, $id, @f) = @_;
  if ($kind eq 'B') {
    my ($runall, $codes, $nargs) = splice(@f, 0, 3);
    my @args = splice(@f, 0, $nargs);
    my @list;
    push @list, [splice(@f, 0, 2)] while @f >= 2;
    my %ok = map { $_ => 1 } split(/,/, $codes);
    my $b = { id => $id, runall => $runall, ok => \%ok, args => \@args, list => \@list,
              n => 0, pid => 0 };
    $batches{$id} = $b;
    launch($b);
  } elsif (my $b = $batches{$id}) {
    kill('KILL', -$b->{pid}) if $kind eq 'C' && $b->{pid};
    end_batch($b);
  }
}
# A child's end is noticed three ways. Usually its pipe reaches EOF as it exits and it is reaped
# right then, or a moment later (the kernel closes its files just before it becomes a zombie).
# A script whose background children keep the pipe open is found by SIGCHLD. Perl runs signal
# handlers between its own steps, so a SIGCHLD arriving just before select() starts would wait
# for the next wake-up: while scripts run, select() also wakes now and then to look.
my $buf = '';
while (1) {
  my $rin = '';
  vec($rin, fileno($req), 1) = 1;
  vec($rin, fileno($sr), 1) = 1;
  vec($rin, $_, 1) = 1 for keys %byfd;
  flush() if length $out;
  my $wait = undef;
  if (%jobs) {
    # Just after EOF, look again shortly (a few times: a script may close its output and go on).
    my @eof = grep { !$_->{fh} && $_->{polls} < 20 } values %jobs;
    $_->{polls}++ for @eof;
    $wait = @eof ? 0.001 : 0.2;
  }
  my $n = select(my $rout = $rin, undef, undef, $wait);
  if ($n <= 0) { reap(); next; }
  for my $fd (keys %byfd) {
    my $pid = $byfd{$fd};
    pass($jobs{$pid}) if defined $pid && $jobs{$pid} && vec($rout, $fd, 1);
  }
  sysread($sr, my $junk, 4096) if vec($rout, fileno($sr), 1);
  reap();
  next unless vec($rout, fileno($req), 1);
  my $got = sysread($req, $buf, 65536, length $buf);
  next if !defined $got && $!{EINTR};
  if (!$got) { kill('KILL', -$_) for keys %jobs; exit 0; }
  while ((my $end = index($buf, "\0\0")) >= 0) {
    my @f = split(/\0/, substr($buf, 0, $end), -1);
    substr($buf, 0, $end + 2) = '';
    request(@f);
  }
}
`;

/** Waits before starting a dead server again: doubling from the first to the last. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: number | null;
}

export interface BatchRequest {
  /** The scripts in run order: the file to exec and its argv[0]. */
  readonly scripts: readonly { readonly path: string; readonly argv0: string }[];
  /** The arguments every script gets after argv[0]. */
  readonly args: readonly string[];
  /** Go on after any result (RUN_ALL). */
  readonly runAll: boolean;
  /** Exit codes after which the next script runs; a signal always stops (unless runAll). */
  readonly continueCodes: readonly number[];
  /**
   * Script `index` ended: how, what it printed, and its pid (0 when it could not be forked;
   * `end` then reads as exit 64+errno). Called in order, before the batch's end.
   */
  readonly onEnd: (index: number, end: ExitStatus, output: Buffer, pid: number) => void;
}

/** A script still running when its batch was stopped or cancelled. */
export interface StillRunning {
  readonly index: number;
  readonly pid: number;
  /** What it printed up to the stop. */
  readonly output: Buffer;
  /** Resolves when it ends (or the server goes away). */
  readonly ended: Promise<void>;
}

export interface BatchRun {
  /** Resolves when no more scripts will start. */
  readonly done: Promise<{ readonly running?: StillRunning }>;
  /** Starts no further script; the running one is left to run on. */
  stop(): void;
  /** Starts no further script and kills the running one's process group at once. */
  cancel(): void;
}

export class ForkServerError extends Error {
  override name = 'ForkServerError';
}

interface Batch {
  readonly id: number;
  readonly count: number;
  readonly onEnd: BatchRequest['onEnd'];
  readonly resolveDone: (d: { running?: StillRunning }) => void;
  /** Output of the script in progress, by script id. */
  readonly chunks: Map<number, Buffer[]>;
  ended: boolean;
}

export class ForkServer {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private dead = false;
  private nextId = 1;
  /** Active batches, by each of their script ids. */
  private readonly byScript = new Map<number, Batch>();
  private readonly batches = new Map<number, Batch>();
  /** Scripts left running after their batch ended: called when they end. */
  private readonly lingering = new Map<number, () => void>();
  /** Unparsed bytes of an incomplete header line. */
  private rest: Buffer = Buffer.alloc(0);
  /** The output frame being received: its script id and the bytes still due. */
  private payload: { id: number; remaining: number } | undefined;

  private closed = false;
  /** The running server is the C one, and whether it has answered anything yet. */
  private runningNative = false;
  private answered = false;
  /** The C server ended without ever answering (a stale or broken build): use perl. */
  private nativeBroken = false;
  /** When the server was last started, and how long to wait before starting it again. */
  private startedAt = 0;
  private retryMs = FIRST_RETRY_MS;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.launch();
  }

  private launch(): void {
    this.startedAt = Date.now();
    this.rest = Buffer.alloc(0);
    this.payload = undefined;
    this.dead = false;
    // Looked up first: a spawn of a missing program fails only later, after a batch was sent.
    const program = serverProgram(this.env, this.nativeBroken);
    this.runningNative = program?.kind === 'native';
    this.answered = false;
    if (program === undefined) {
      this.dead = true;
      this.proc = undefined;
      return;
    }
    try {
      // Scripts inherit the daemon's stdin, as under CTDB: the server holds it as fd 3.
      const proc = spawn(program.file, program.args, {
        env: this.env,
        stdio: ['pipe', 'pipe', 'pipe', 0],
      }) as ChildProcessWithoutNullStreams;
      this.proc = proc;
      proc.on('error', () => this.fail(proc));
      proc.on('exit', () => this.fail(proc));
      proc.stdin.on('error', () => this.fail(proc));
      proc.stdout.on('data', (b: Buffer) => {
        if (proc !== this.proc) return;
        this.answered = true;
        this.onData(b);
      });
      proc.stderr.resume();
      // Idle, the server must not keep the daemon alive; while a batch runs it does.
      proc.unref();
      for (const s of [proc.stdin, proc.stdout, proc.stderr]) streamRef(s, false);
    } catch {
      this.dead = true;
      this.proc = undefined;
    }
  }

  /**
   * True when batches can go to the server. A server that died is started again on demand,
   * waiting longer after each failure (no perl: the daemon spawns scripts itself meanwhile).
   */
  get available(): boolean {
    if (this.dead && !this.closed && Date.now() - this.startedAt >= this.retryMs) {
      this.retryMs = Math.min(Math.max(this.retryMs * 2, FIRST_RETRY_MS), MAX_RETRY_MS);
      this.launch();
    }
    return !this.dead && this.proc !== undefined;
  }

  /** The server's own pid (tests). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private fail(proc: ChildProcessWithoutNullStreams): void {
    if (this.dead || proc !== this.proc) return;
    this.dead = true;
    if (this.runningNative && !this.answered) {
      this.nativeBroken = true;
      this.retryMs = 0; // perl at once, on the next batch
    }
    // The scripts it was running are orphans now; report them as killed so runs finish.
    for (const b of this.batches.values()) {
      for (const id of b.chunks.keys())
        if (id - b.id < b.count) b.onEnd(id - b.id, { code: null, signal: 9 }, Buffer.alloc(0), 0);
      this.endBatch(b, 0, 0);
    }
    for (const f of this.lingering.values()) f();
    this.lingering.clear();
  }

  private endBatch(b: Batch, count: number, pid: number): void {
    if (b.ended) return;
    b.ended = true;
    this.batches.delete(b.id);
    for (let k = 0; k < b.count; k++) this.byScript.delete(b.id + k);
    if (this.batches.size === 0 && this.proc !== undefined) streamRef(this.proc.stdout, false);
    if (pid === 0) {
      b.resolveDone({});
      return;
    }
    const id = b.id + count - 1;
    const ended = new Promise<void>((resolve) => this.lingering.set(id, resolve));
    const output = Buffer.concat(b.chunks.get(id) ?? []);
    b.resolveDone({ running: { index: count - 1, pid, output, ended } });
  }

  private onData(chunk: Buffer): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      const p = this.payload;
      if (p !== undefined) {
        const take = Math.min(p.remaining, data.length - pos);
        this.byScript
          .get(p.id)
          ?.chunks.get(p.id)
          ?.push(data.subarray(pos, pos + take));
        pos += take;
        p.remaining -= take;
        if (p.remaining === 0) this.payload = undefined;
        continue;
      }
      const nl = data.indexOf(10, pos);
      if (nl < 0) break;
      const [kind = '', ...nums] = data.toString('latin1', pos, nl).split(' ');
      pos = nl + 1;
      const [id = NaN, x = NaN, y = NaN] = nums.map(Number);
      this.onMessage(kind, id, x, y);
    }
    this.rest = pos < data.length ? Buffer.from(data.subarray(pos)) : Buffer.alloc(0);
  }

  private onMessage(kind: string, id: number, x: number, y: number): void {
    if (kind === 'O') {
      if (x > 0) this.payload = { id, remaining: x };
      return;
    }
    if (kind === 'X') {
      const linger = this.lingering.get(id);
      if (linger !== undefined) {
        this.lingering.delete(id);
        linger();
      }
      const b = this.byScript.get(id);
      if (b === undefined || b.ended) return;
      const output = Buffer.concat(b.chunks.get(id) ?? []);
      b.chunks.delete(id);
      b.chunks.set(id + 1, []);
      b.onEnd(id - b.id, decodeStatus(y), output, x);
      return;
    }
    if (kind === 'D') {
      this.retryMs = FIRST_RETRY_MS; // the server works
      const b = this.batches.get(id);
      if (b !== undefined) this.endBatch(b, x, y);
    }
  }

  /** Runs `req.scripts` in order (see the header for when it goes on). */
  runBatch(req: BatchRequest): BatchRun {
    if (!this.available) throw new ForkServerError('fork server not available');
    const fields = [...req.args, ...req.scripts.flatMap((s) => [s.path, s.argv0])];
    if (fields.some((f) => f.includes('\0') || f === ''))
      throw new ForkServerError('an argument is empty or holds a NUL byte');
    const id = this.nextId;
    this.nextId += Math.max(1, req.scripts.length);
    let resolveDone!: (d: { running?: StillRunning }) => void;
    const done = new Promise<{ running?: StillRunning }>((r) => (resolveDone = r));
    const batch: Batch = {
      id,
      count: req.scripts.length,
      onEnd: req.onEnd,
      resolveDone,
      chunks: new Map([[id, []]]),
      ended: false,
    };
    this.batches.set(id, batch);
    for (let k = 0; k < batch.count; k++) this.byScript.set(id + k, batch);
    if (this.batches.size === 1) streamRef(this.proc!.stdout, true);
    const head = ['B', String(id), req.runAll ? '1' : '0', req.continueCodes.join(',')];
    head.push(String(req.args.length));
    this.proc!.stdin.write(`${[...head, ...fields].join('\0')}\0\0`);
    const send = (kind: string): void => {
      if (!batch.ended && this.available) this.proc!.stdin.write(`${kind}\0${id}\0\0`);
    };
    return { done, stop: () => send('T'), cancel: () => send('C') };
  }

  /** Ends the server; it kills every script still running as its input closes. */
  close(): void {
    this.dead = true;
    this.closed = true;
    this.proc?.stdin.end();
  }
}

export interface ServerProgram {
  readonly kind: 'native' | 'perl';
  readonly file: string;
  readonly args: string[];
}

/**
 * The program to start as the fork server: the C one when built (unless
 * CTDB_TS_EVENTD_FORK_SERVER=perl, or it was found broken; an absolute path there names the C
 * server to use), else perl from PATH with the script above; undefined when
 * neither is there (the daemon then spawns scripts itself).
 */
export function serverProgram(
  env: NodeJS.ProcessEnv,
  nativeBroken = false,
): ServerProgram | undefined {
  const choice = env.CTDB_TS_EVENTD_FORK_SERVER;
  if (choice !== 'perl' && !nativeBroken) {
    // An absolute path names another build of the C server (tests; a debug build).
    const file = choice?.startsWith('/') === true ? choice : nativeProgram('ctdb_fork_server');
    if (file !== undefined) return { kind: 'native', file, args: [] };
  }
  const perl = findProgram('perl', env.PATH ?? process.env.PATH ?? '/usr/bin:/bin');
  return perl === undefined ? undefined : { kind: 'perl', file: perl, args: ['-e', PERL] };
}

/** The first executable `name` on `path`, or undefined. */
function findProgram(name: string, path: string): string | undefined {
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function streamRef(stream: object, on: boolean): void {
  const s = stream as { ref?: () => void; unref?: () => void };
  if (on) s.ref?.();
  else s.unref?.();
}

/** A wait() status word as exit code or signal. */
export function decodeStatus(status: number): ExitStatus {
  const sig = status & 0x7f;
  return sig !== 0 ? { code: null, signal: sig } : { code: (status >> 8) & 0xff, signal: null };
}
