// A small, long-lived fork server for exec'd scripts. Forking the daemon itself (a large,
// multi-threaded Node process) costs milliseconds per script; a tiny Perl process (perl-base is
// Essential on Debian) forks in a fraction of that. It does what CTDB's run_proc does in the
// child — new process group, stdout and stderr to one file, argv[0] = the script name, exec, and
// exit 64+errno if exec fails — and reports each child's raw wait status. Without perl, or if
// it dies, the daemon falls back to Node's own spawn.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

const PERL = String.raw`
use strict; use warnings; use POSIX ();
my $daemon = shift @ARGV;
$| = 1;
pipe(my $sr, my $sw) or die "pipe: $!";
{ my $o = select($sw); $| = 1; select($o); }
$SIG{CHLD} = sub { syswrite($sw, "x") };
my $buf = '';
my $rin = '';
vec($rin, fileno(STDIN), 1) = 1;
vec($rin, fileno($sr), 1) = 1;
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) { print "X $pid $?\n"; }
}
while (1) {
  my $n = select(my $rout = $rin, undef, undef, undef);
  reap();
  next if $n <= 0;
  if (vec($rout, fileno($sr), 1)) { sysread($sr, my $junk, 4096); }
  next unless vec($rout, fileno(STDIN), 1);
  my $got = sysread(STDIN, $buf, 65536, length $buf);
  exit 0 if !$got;
  while ((my $end = index($buf, "\0\0")) >= 0) {
    my @f = split(/\0/, substr($buf, 0, $end));
    substr($buf, 0, $end + 2) = '';
    my ($id, $path, $argv0, $out, @args) = @f;
    my $pid = fork();
    if (!defined $pid) { print "F $id " . ($! + 0) . "\n"; next; }
    if ($pid == 0) {
      $SIG{CHLD} = 'DEFAULT';
      close($sr); close($sw);
      POSIX::setpgid(0, 0) or POSIX::_exit(64 + $!);
      open(STDIN, '<', "/proc/$daemon/fd/0") or open(STDIN, '<', '/dev/null');
      open(STDOUT, '>', $out) or POSIX::_exit(64 + $!);
      open(STDERR, '>&', \*STDOUT) or POSIX::_exit(64 + $!);
      # execv(), not execvp(): no /bin/sh fallback for a file the kernel cannot run.
      if (open(my $fh, '<', $path)) {
        my $magic = '';
        sysread($fh, $magic, 4);
        close($fh);
        POSIX::_exit(64 + POSIX::ENOEXEC()) unless $magic =~ /^(#!|\x7fELF)/;
      }
      { no warnings 'exec'; exec { $path } $argv0, @args; }
      POSIX::_exit(64 + $!);
    }
    print "S $id $pid\n";
  }
}
`;

export interface Forked {
  readonly pid: number;
  /** Resolves with the decoded end: an exit code, or the signal that killed it. */
  readonly exit: Promise<{ code: number | null; signal: number | null }>;
}

type ExitWaiter = (r: { code: number | null; signal: number | null }) => void;

export class ForkServer {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private dead = false;
  private nextId = 1;
  private buf = '';
  private readonly starting = new Map<
    number,
    { resolve: (pid: number) => void; reject: (e: Error) => void }
  >();
  private readonly exits = new Map<number, ExitWaiter>();
  /** Exits reported before their waiter registered (a very fast script). */
  private readonly early = new Map<number, number>();

  constructor(env: NodeJS.ProcessEnv) {
    // Children open the daemon's output file through /proc; without it, spawn ourselves.
    if (!existsSync(`/proc/${process.pid}/fd`)) {
      this.dead = true;
      return;
    }
    try {
      const proc = spawn('perl', ['-e', PERL, String(process.pid)], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      proc.on('error', () => this.fail());
      proc.on('exit', () => this.fail());
      proc.stdin.on('error', () => this.fail());
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (t: string) => this.onData(t));
      proc.stderr.resume();
      proc.unref();
      (proc.stdout as unknown as { unref?: () => void }).unref?.();
      this.proc = proc;
    } catch {
      this.dead = true;
    }
  }

  get available(): boolean {
    return !this.dead && this.proc !== undefined;
  }

  private fail(): void {
    if (this.dead) return;
    this.dead = true;
    const err = new Error('fork server exited');
    for (const s of this.starting.values()) s.reject(err);
    this.starting.clear();
    // Children it had started are orphans now; report them as killed so runs finish.
    for (const w of this.exits.values()) w({ code: null, signal: 9 });
    this.exits.clear();
  }

  private onData(text: string): void {
    this.buf += text;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const [kind, a, b] = line.split(' ');
      const x = Number(a);
      const y = Number(b);
      if (kind === 'S') {
        this.starting.get(x)?.resolve(y);
        this.starting.delete(x);
      } else if (kind === 'F') {
        this.starting.get(x)?.reject(Object.assign(new Error('fork failed'), { errno: -y }));
        this.starting.delete(x);
      } else if (kind === 'X') {
        const status = y;
        const waiter = this.exits.get(x);
        if (waiter === undefined) this.early.set(x, status);
        else {
          this.exits.delete(x);
          waiter(decodeStatus(status));
        }
      }
    }
  }

  /** Starts `path` with argv[0] = `argv0` and output to `outPath`; resolves once forked. */
  async start(
    path: string,
    argv0: string,
    args: readonly string[],
    outPath: string,
  ): Promise<Forked> {
    if (!this.available) throw new Error('fork server not available');
    const id = this.nextId++;
    const fields = [String(id), path, argv0, outPath, ...args];
    if (fields.some((f) => f.includes('\0') || f === ''))
      throw new Error('field not representable');
    const pid = await new Promise<number>((resolve, reject) => {
      this.starting.set(id, { resolve, reject });
      this.proc!.stdin.write(`${fields.join('\0')}\0\0`);
    });
    const exit = new Promise<{ code: number | null; signal: number | null }>((resolve) => {
      const early = this.early.get(pid);
      if (early !== undefined) {
        this.early.delete(pid);
        resolve(decodeStatus(early));
      } else this.exits.set(pid, resolve);
    });
    return { pid, exit };
  }

  close(): void {
    this.dead = true;
    this.proc?.stdin.end();
    this.proc?.kill('SIGKILL');
  }
}

function decodeStatus(status: number): { code: number | null; signal: number | null } {
  const sig = status & 0x7f;
  return sig !== 0 ? { code: null, signal: sig } : { code: (status >> 8) & 0xff, signal: null };
}
