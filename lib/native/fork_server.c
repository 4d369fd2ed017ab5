// ctdb_fork_server: the event daemon's fork server for exec'd eventscripts, in C.
//
// The daemon (a large multi-threaded Node process) does not fork scripts itself: this small
// program, started once, runs them for it. It speaks the protocol described at the top of
// runtime/eventd/fork-server.ts, byte for byte like the Perl server kept there as a fallback:
//
//   requests on fd 0, NUL-separated fields ending in an empty field:
//     B id runall continue-codes nargs args… (path argv0)…   run a batch; script k gets id+k
//     T id                                                  stop the batch after the running one
//     C id                                                  cancel: SIGKILL the running group
//   replies on fd 1, one header line each:
//     O id length       followed by `length` raw output bytes of script `id`
//     X id pid status   script `id` ended (after all its output); pid 0 when it never ran
//                       (status then reads as exit 64+errno)
//     D id count pid    batch `id` ended after starting `count` scripts; `pid` still runs, or 0
//
// Each script runs as CTDB's run_proc runs it: its own process group, the daemon's stdin (given
// to us as fd 3), stdout and stderr on one pipe, argv[0] as given, execv() semantics (a file
// starting with neither "#!" nor ELF magic fails with ENOEXEC instead of going to /bin/sh).
//
// Why it is fast: vfork() + exec from a process of about 1 MB (no page tables copied, no
// per-child signal reset loop: see start_child); each child's exit is seen on a pidfd (kernel
// >= 5.3), so the script's end wakes us at once, with no re-poll and no SIGCHLD race; replies
// are gathered and written once per turn of the loop. Without pidfds, SIGCHLD is used instead:
// it stays blocked except inside ppoll(), which unblocks it atomically, so it cannot slip in
// between a check and the wait.
//
// When fd 0 reaches EOF (the daemon closed it or went away), every script still running has
// its process group killed and the server exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // headers older than Linux 5.3; the same number on every arch
#endif

extern char **environ;

// Limits. Every table and buffer is fixed; running past one is reported, never overrun.
enum {
  MAX_JOBS = 512,          // scripts alive at once (running, or hung and left running)
  MAX_BATCHES = 128,       // batches in progress at once (one per component event)
  CHUNK = 65536,           // one read from a script's pipe
  OUT_FLUSH = 65536,       // replies gathered before they are written out early
  OUT_CAP = OUT_FLUSH + CHUNK + 256,
  REQ_CAP = 1 << 20,       // one request (a batch's paths and arguments) must fit here
};

struct batch {
  bool used;
  long long id;
  bool runall;
  bool ok[256];            // exit codes after which the next script runs
  int count;               // scripts in the batch
  int n;                   // scripts started (or tried) so far
  pid_t pid;               // the one running now, or 0
  char **paths;            // count entries
  char **argv0s;           // count entries
  char **argv;             // argv[0] (set per script), the arguments, NULL
  char *store;             // one allocation holding all of the above
};

struct job {
  pid_t pid;               // 0: free slot
  long long id;
  int out;                 // read end of its output pipe, -1 once at EOF
  int pidfd;               // -1 without one (SIGCHLD tells instead)
  bool quiet;              // its batch ended: output is read and dropped
  struct batch *batch;     // the batch waiting for it, or NULL
};

static struct job jobs[MAX_JOBS];
static struct batch batches[MAX_BATCHES];
static int req_fd = -1, reply_fd = -1;
static char out_buf[OUT_CAP];
static size_t out_len;
static char req_buf[REQ_CAP];
static size_t req_len;
static bool have_pidfd;
static volatile sig_atomic_t got_sigchld;
// Signal masks: while working, while waiting (fallback without pidfds), and for scripts.
static sigset_t mask_blocked, mask_open, mask_child;

static void kill_all_and_exit(int code) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].pid > 0) (void)kill(-jobs[i].pid, SIGKILL);  // ESRCH: that group is gone
  exit(code);
}

static void die(const char *what) {
  // fd 2 is our own stderr (the daemon reads and drops it); scripts get their own fd 2.
  fprintf(stderr, "ctdb_fork_server: %s: %s\n", what, strerror(errno));
  kill_all_and_exit(1);
}

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(reply_fd, out_buf + off, out_len - off);
    if (n >= 0) {
      off += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // A non-blocking reply descriptor: wait until it takes more.
      struct pollfd p = {.fd = reply_fd, .events = POLLOUT};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) die("poll");
      continue;
    }
    // The daemon is gone: nobody is left to report to.
    kill_all_and_exit(0);
  }
  out_len = 0;
}

static void put(const void *data, size_t len) {
  if (out_len + len > OUT_CAP) flush_out();
  memcpy(out_buf + out_len, data, len);
  out_len += len;
  if (out_len >= OUT_FLUSH) flush_out();
}

static void putf(const char *fmt, ...) {
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof line) put(line, (size_t)n);
}

static struct job *find_job(pid_t pid) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].pid == pid) return &jobs[i];
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0) {
    // Linux frees the descriptor even when close() fails; nothing else to do about it.
    (void)close(*fd);
    *fd = -1;
  }
}

// One read from a job's pipe. True when it read something (call again to drain); false at EOF
// (the pipe is closed then) or when nothing is there now.
static bool pass(struct job *j) {
  static char data[CHUNK];
  if (j->out < 0) return false;
  ssize_t n = read(j->out, data, sizeof data);
  if (n > 0) {
    if (!j->quiet) {
      // Header and bytes must stay together: make room for both before the header goes in.
      if (out_len + 64 + (size_t)n > OUT_CAP) flush_out();
      putf("O %lld %zd\n", j->id, n);
      put(data, (size_t)n);
    }
    return true;
  }
  if (n < 0 && errno == EINTR) return true;
  if (n < 0 && errno == EAGAIN) return false;
  close_fd(&j->out);  // EOF (or a broken pipe, which reads the same)
  return false;
}

static bool goes_on(const struct batch *b, int status) {
  if (b->runall) return true;
  if (status & 0x7f) return false;  // killed by a signal
  return b->ok[(status >> 8) & 0xff];
}

static void free_batch(struct batch *b) {
  free(b->store);
  memset(b, 0, sizeof *b);
}

static void end_batch(struct batch *b) {
  if (b->pid > 0) {
    struct job *j = find_job(b->pid);
    if (j != NULL) {
      j->quiet = true;
      j->batch = NULL;
    }
  }
  putf("D %lld %d %d\n", b->id, b->n, (int)b->pid);
  free_batch(b);
}

// execv() runs only what the kernel can run itself; execvp()'s /bin/sh fallback for other files
// must not happen. The kernel would fail such a file with ENOEXEC: say so without a process.
static bool runnable_magic(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return true;  // let exec report why (ENOENT, EACCES, …)
  unsigned char m[4] = {0};
  ssize_t n;
  do n = read(fd, m, sizeof m);
  while (n < 0 && errno == EINTR);
  close_fd(&fd);
  if (n >= 2 && m[0] == '#' && m[1] == '!') return true;
  return n == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
}

// Set by a vfork()ed child whose exec failed, before it exits: the child shares our memory
// until it execs, so the parent reads the reason here, as posix_spawn() would report it.
static volatile int child_errno;

// vfork() + exec: the child borrows our memory and our thread is suspended until it execs or
// exits, so no page tables are copied. glibc's posix_spawn() does the same but also resets all
// 64 signal dispositions in every child (some 130 system calls per script): here only SIGCHLD
// has a handler (exec resets it) and nothing is ignored, so the child needs no such loop.
// Between vfork and exec the child only makes system calls and writes errno and child_errno:
// no allocation, no stdio, no locks. All signals it could be sent with a handler (SIGCHLD) are
// blocked until just before exec, and it has no children of its own to send one.
static pid_t start_child(const char *path, char **argv, int out) {
  child_errno = 0;
  pid_t pid = vfork();
  if (pid != 0) return pid;
  // The child: its own process group, stdout and stderr on the pipe, no signal blocked.
  if (setpgid(0, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
      sigprocmask(SIG_SETMASK, &mask_child, NULL) < 0) {
    child_errno = errno;
    _exit(127);
  }
  execve(path, argv, environ);
  child_errno = errno;
  _exit(127);
}

// Starts one script. Returns its job, or NULL with *err_out set (nothing left behind then).
static struct job *spawn_one(const char *path, char **argv, int *err_out) {
  if (!runnable_magic(path)) {
    *err_out = ENOEXEC;
    return NULL;
  }
  int slot = -1;
  for (int i = 0; i < MAX_JOBS && slot < 0; i++)
    if (jobs[i].pid == 0) slot = i;
  if (slot < 0) {
    *err_out = EAGAIN;
    return NULL;
  }
  int p[2];
  // Close-on-exec on both ends: the child gets the write end only as fds 1 and 2 (dup2 clears
  // the flag there). The read end is made non-blocking on our side only; O_NONBLOCK on pipe2
  // would reach the script's stdout too.
  if (pipe2(p, O_CLOEXEC) < 0) {
    *err_out = errno;
    return NULL;
  }
  pid_t pid = start_child(path, argv, p[1]);
  int err = errno;
  close_fd(&p[1]);
  if (pid < 0 || child_errno != 0) {
    if (pid > 0) {
      // Its exec failed: it has exited already (127); reap it and report no process.
      err = child_errno;
      // Only EINTR can fail this wait on our own child; retry it.
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
    }
    close_fd(&p[0]);
    *err_out = err;
    return NULL;
  }
  if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) die("fcntl");
  int pidfd = -1;
  if (have_pidfd) {
    // Our own unreaped child: its pid cannot be reused before we wait for it, so no race.
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    // Without one (e.g. out of descriptors) this child is found through SIGCHLD instead.
  }
  jobs[slot] = (struct job){.pid = pid, .out = p[0], .pidfd = pidfd};
  return &jobs[slot];
}

// Starts the batch's next script, or ends the batch when none is left or one failed to start
// with a result that stops the run.
static void launch(struct batch *b) {
  b->pid = 0;
  while (b->n < b->count) {
    int k = b->n++;
    long long id = b->id + k;
    b->argv[0] = b->argv0s[k];
    int err = 0;
    struct job *j = spawn_one(b->paths[k], b->argv, &err);
    if (j != NULL) {
      j->id = id;
      j->batch = b;
      b->pid = j->pid;
      return;
    }
    int status = ((64 + err) & 0xff) << 8;
    putf("X %lld 0 %d\n", id, status);
    if (!goes_on(b, status)) break;
  }
  end_batch(b);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;  // none ended (0) or no children (ECHILD)
    struct job *j = find_job(pid);
    if (j == NULL) continue;
    // It has exited, so all it wrote is in the pipe: pass that on before its end. A background
    // child of the script may hold the pipe open; what it writes later is not the script's.
    while (pass(j)) {
    }
    close_fd(&j->out);
    close_fd(&j->pidfd);
    long long id = j->id;
    struct batch *b = j->batch;
    memset(j, 0, sizeof *j);
    putf("X %lld %d %d\n", id, (int)pid, status);
    if (b == NULL || b->pid != pid) continue;
    if (goes_on(b, status)) {
      launch(b);
    } else {
      b->pid = 0;
      end_batch(b);
    }
  }
}

static bool parse_num(const char *s, long long *v) {
  if (s == NULL || *s == '\0') return false;
  char *end;
  errno = 0;
  *v = strtoll(s, &end, 10);
  return errno == 0 && *end == '\0';
}

static struct batch *find_batch(long long id) {
  for (int i = 0; i < MAX_BATCHES; i++)
    if (batches[i].used && batches[i].id == id) return &batches[i];
  return NULL;
}

// A batch that cannot even be set up: its first script reads as failed to start with `err`.
static void refuse_batch(long long id, int err) {
  putf("X %lld 0 %d\n", id, ((64 + err) & 0xff) << 8);
  putf("D %lld 1 0\n", id);
}

// B id runall codes nargs args… (path argv0)…; f[0] is "B", nf fields in all.
static void request_batch(char **f, int nf) {
  long long id, runall, nargs;
  if (nf < 5 || !parse_num(f[1], &id) || !parse_num(f[2], &runall) || !parse_num(f[4], &nargs) ||
      nargs < 0 || nargs > nf - 5)
    return;  // malformed: the daemon never sends that
  int count = (nf - 5 - (int)nargs) / 2;
  struct batch *b = NULL;
  for (int i = 0; i < MAX_BATCHES && b == NULL; i++)
    if (!batches[i].used) b = &batches[i];
  if (b == NULL) {
    refuse_batch(id, EAGAIN);
    return;
  }
  // One block for the pointer arrays and a copy of every string (the request buffer moves on).
  size_t ptrs = (size_t)count * 2 + (size_t)nargs + 2;
  size_t bytes = ptrs * sizeof(char *);
  for (int i = 5; i < nf; i++) bytes += strlen(f[i]) + 1;
  char *store = malloc(bytes);
  if (store == NULL) {
    refuse_batch(id, ENOMEM);
    return;
  }
  *b = (struct batch){.used = true, .id = id, .runall = runall != 0, .count = count};
  b->store = store;
  char **p = (char **)(void *)store;
  char *s = store + ptrs * sizeof(char *);
  b->paths = p;
  b->argv0s = p + count;
  b->argv = p + 2 * count;
  for (int i = 5; i < nf; i++) {
    size_t len = strlen(f[i]) + 1;
    memcpy(s, f[i], len);
    int k = i - 5;
    if (k < nargs) {
      b->argv[1 + k] = s;
    } else if ((k - nargs) / 2 < count) {
      int m = (int)((k - nargs) / 2);
      if ((k - nargs) % 2 == 0)
        b->paths[m] = s;
      else
        b->argv0s[m] = s;
    }
    s += len;
  }
  b->argv[0] = NULL;
  b->argv[1 + nargs] = NULL;
  // Continue codes: comma-separated exit codes.
  for (char *c = f[3]; *c != '\0';) {
    char *end;
    long v = strtol(c, &end, 10);
    if (end == c) break;
    if (v >= 0 && v < 256) b->ok[v] = true;
    c = *end == ',' ? end + 1 : end;
  }
  launch(b);
}

static void request(char **f, int nf) {
  if (nf < 2) return;
  if (strcmp(f[0], "B") == 0) {
    request_batch(f, nf);
    return;
  }
  long long id;
  if (!parse_num(f[1], &id)) return;
  struct batch *b = find_batch(id);
  if (b == NULL) return;  // already ended: its D is on the way or sent
  if (strcmp(f[0], "C") == 0 && b->pid > 0)
    (void)kill(-b->pid, SIGKILL);  // ESRCH: it ended meanwhile; its X is on the way
  if (strcmp(f[0], "C") == 0 || strcmp(f[0], "T") == 0) end_batch(b);
}

// Splits and handles every complete request in the buffer (each ends with "\0\0").
static void handle_requests(void) {
  static char *fields[REQ_CAP / 2 + 1];
  static size_t scanned;  // bytes of a partial request already searched for its end
  size_t start = 0;
  for (;;) {
    char *base = req_buf + start;
    size_t avail = req_len - start;
    char *end = NULL;
    for (size_t i = scanned; i + 1 < avail; i++)
      if (base[i] == '\0' && base[i + 1] == '\0') {
        end = base + i;
        break;
      }
    scanned = 0;
    if (end == NULL) {
      // Look again from here when more arrives (one byte back: the end may straddle reads).
      scanned = avail > 0 ? avail - 1 : 0;
      break;
    }
    int nf = 0;
    for (char *q = base; q <= end;) {
      fields[nf++] = q;
      q += strlen(q) + 1;
    }
    request(fields, nf);
    start += (size_t)(end - base) + 2;
  }
  if (start > 0) {
    memmove(req_buf, req_buf + start, req_len - start);
    req_len -= start;
  }
  if (req_len == REQ_CAP) {
    errno = E2BIG;
    die("request too large");
  }
}

static void on_sigchld(int sig) {
  (void)sig;
  got_sigchld = 1;
}

static void setup(bool use_pidfd) {
  // Requests and replies move off fds 0 and 1, which scripts inherit as the daemon's stdin and
  // (until their pipe replaces it) /dev/null.
  req_fd = fcntl(0, F_DUPFD_CLOEXEC, 4);
  if (req_fd < 0) die("dup fd 0");
  reply_fd = fcntl(1, F_DUPFD_CLOEXEC, 4);
  if (reply_fd < 0) die("dup fd 1");
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) die("/dev/null");
  // Keep fds 0-2 taken, so no pipe lands on them: a pipe on fd 1 or 2 would lose its
  // close-on-exec flag only when dup2()ed to another number.
  if (fcntl(2, F_GETFD) < 0 && dup2(null, 2) < 0) die("dup2 stderr");
  bool have3 = fcntl(3, F_GETFD) >= 0;
  if (dup2(have3 ? 3 : null, 0) < 0) die("dup2 stdin");
  if (dup2(null, 1) < 0) die("dup2 stdout");
  if (have3 && close(3) < 0) die("close fd 3");
  close_fd(&null);

  // Signals: SIGCHLD has a handler and stays blocked except inside ppoll() (see the top of the
  // file); SIGPIPE is blocked, not ignored, so a vanished daemon shows as EPIPE on the reply
  // descriptor while scripts still start with its default action (an ignored signal would stay
  // ignored across exec). Scripts get the signal mask we inherited.
  struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP};
  if (sigemptyset(&sa.sa_mask) < 0 || sigaction(SIGCHLD, &sa, NULL) < 0) die("sigaction");
  if (sigprocmask(SIG_SETMASK, NULL, &mask_child) < 0) die("sigprocmask");
  mask_blocked = mask_child;
  if (sigaddset(&mask_blocked, SIGCHLD) < 0 || sigaddset(&mask_blocked, SIGPIPE) < 0) die("sigset");
  mask_open = mask_blocked;
  if (sigdelset(&mask_open, SIGCHLD) < 0) die("sigset");
  if (sigprocmask(SIG_SETMASK, &mask_blocked, NULL) < 0) die("sigprocmask");

  // pidfd_open() needs Linux 5.3; an older kernel says ENOSYS and SIGCHLD does the job.
  int pidfd = use_pidfd ? (int)syscall(SYS_pidfd_open, getpid(), 0) : -1;
  have_pidfd = pidfd >= 0;
  close_fd(&pidfd);
}

int main(int argc, char **argv) {
  // --no-pidfd: use the SIGCHLD path even where pidfds work (to test it).
  bool use_pidfd = true;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--no-pidfd") == 0) {
      use_pidfd = false;
    } else {
      fprintf(stderr, "usage: ctdb_fork_server [--no-pidfd]\n");
      return 2;
    }
  }
  setup(use_pidfd);
  static struct pollfd fds[1 + 2 * MAX_JOBS];
  static struct job *owner[1 + 2 * MAX_JOBS];
  static pid_t owner_pid[1 + 2 * MAX_JOBS];
  for (;;) {
    if (out_len > 0) flush_out();
    int nfds = 0;
    fds[nfds++] = (struct pollfd){.fd = req_fd, .events = POLLIN};
    bool need_sigchld = false;
    for (int i = 0; i < MAX_JOBS; i++) {
      struct job *j = &jobs[i];
      if (j->pid == 0) continue;
      if (j->out >= 0) {
        owner[nfds] = j;
        owner_pid[nfds] = j->pid;
        fds[nfds++] = (struct pollfd){.fd = j->out, .events = POLLIN};
      }
      if (j->pidfd >= 0) {
        owner[nfds] = NULL;
        fds[nfds++] = (struct pollfd){.fd = j->pidfd, .events = POLLIN};
      } else {
        need_sigchld = true;
      }
    }
    // SIGCHLD is let in only while waiting, and only when some child has no pidfd.
    int n = ppoll(fds, (nfds_t)nfds, NULL, need_sigchld ? &mask_open : &mask_blocked);
    if (n < 0) {
      if (errno != EINTR) die("ppoll");
      if (got_sigchld) {
        got_sigchld = 0;
        reap();
      }
      continue;
    }
    bool ended = false;
    for (int i = 1; i < nfds; i++) {
      if (fds[i].revents == 0) continue;
      if (owner[i] == NULL) {
        ended = true;  // a pidfd: its process exited
        continue;
      }
      // Reads only: reaping (which frees jobs) waits until this pass is over.
      if (owner[i]->pid == owner_pid[i]) pass(owner[i]);
    }
    if (ended || got_sigchld) {
      got_sigchld = 0;
      reap();
    }
    if (fds[0].revents == 0) continue;
    ssize_t got = read(req_fd, req_buf + req_len, REQ_CAP - req_len);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) kill_all_and_exit(0);  // the daemon is gone or closed our input
    req_len += (size_t)got;
    handle_requests();
  }
}
