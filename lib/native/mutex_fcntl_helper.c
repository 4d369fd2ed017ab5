// ctdb_mutex_fcntl_helper FILE [RECHECK [PING_TIMEOUT]]: CTDB's default cluster mutex, an
// fcntl write lock on byte 0 of FILE (which should live on the cluster filesystem).
//
// The same program as runtime/cluster-lock/helpers/fcntl-helper.ts, in C, because the helper
// runs for as long as a node leads: a Node process costs tens of MB and a noticeable start-up
// on every lock take; this one costs about a megabyte and a few milliseconds.
//
// Protocol (runtime/cluster-lock/README.md): exactly one status byte on stdout — '0' held,
// '1' contended (silent), '3' error (with a line on stderr). Bad arguments print the usage on
// stderr and no byte (the parent reads EOF as '3'). After '0' the lock is held until one of:
//   - SIGTERM (or SIGINT) — the parent's release request;
//   - the parent's death, seen at once through a pidfd (polled every second without one);
//   - a failed check, every RECHECK seconds (default 5, 0 = never): FILE must still exist with
//     the same inode, then a blocking lock on byte 1 probes the filesystem's lock manager; with
//     PING_TIMEOUT > 0 a check slower than that many seconds also loses the lock.
// The lock is then dropped and the helper exits: the parent sees EOF, which means "lost".
//
// The check runs on a short-lived thread: the main thread must keep answering SIGTERM and
// parent death while a stat or F_SETLKW hangs on a sick cluster filesystem. The thread never
// opens or closes FILE (closing any descriptor of FILE would drop all of this process's locks
// on it); it locks byte 1 through the descriptor we already hold, which cannot disturb byte 0.
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 // Linux 5.3; new syscalls share one number across architectures
#endif

#define PROGNAME "ctdb_mutex_fcntl_helper"
#define USAGE "Usage: " PROGNAME " <file> [recheck_interval [ping_timeout]]"
// Larger values are certainly typos; the TypeScript helper draws the same line.
#define MAX_SECONDS 2000000UL
#define DEFAULT_RECHECK_SECONDS 5UL
#define PARENT_POLL_MS 1000
// The check thread calls a handful of syscalls and nothing else: a small stack keeps the
// helper's footprint small while it runs.
#define CHECK_STACK_BYTES (64 * 1024)
// Long enough for a PATH_MAX file name and its message; longer lines are cut, never overrun.
#define LINE_MAX_BYTES (PATH_MAX + 512)

// ---------------------------------------------------------------------------------------------
// stderr: one `ctdb_mutex_fcntl_helper: message` line per write(2), so lines never interleave.

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; // stderr went away with our parent: nobody is left to tell
    buf += n;
    len -= (size_t)n;
  }
}

__attribute__((format(printf, 2, 3))) static void put_line(bool prefixed, const char *fmt, ...) {
  char line[LINE_MAX_BYTES];
  size_t used = 0;
  if (prefixed) {
    int n = snprintf(line, sizeof(line), "%s: ", PROGNAME);
    if (n > 0) used = (size_t)n;
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line + used, sizeof(line) - used - 1, fmt, ap); // keep 1 byte for '\n'
  va_end(ap);
  if (n > 0) {
    size_t room = sizeof(line) - used - 2; // what vsnprintf could store besides its NUL
    used += (size_t)n < room ? (size_t)n : room;
  }
  line[used++] = '\n';
  write_all(STDERR_FILENO, line, used);
}

#define log_error(...) put_line(true, __VA_ARGS__)

// The errno's symbolic name (ENOENT), as the TypeScript helper and Node print them.
static const char *errno_name(int err) {
  const char *name = strerrorname_np(err); // glibc 2.32+
  return name != NULL ? name : "EUNKNOWN";
}

// A lock call's failure, worded as the fcntl_lock addon words it for the TypeScript helper.
static void describe_fcntl_error(char *buf, size_t size, const char *call, int err) {
  snprintf(buf, size, "%s: %s (%s)", call, strerror(err), errno_name(err));
}

// Where Node's wording of an errno (libuv's) differs from the C library's, for the errors open(2)
// can give; the others are the C library's words with a lower-case first letter, as in Node.
static const struct {
  int err;
  const char *text;
} node_error_words[] = {
    {EBUSY, "resource busy or locked"},
    {EFAULT, "bad address in system call argument"},
    {EIO, "i/o error"},
    {EISDIR, "illegal operation on a directory"},
    {ELOOP, "too many symbolic links encountered"},
    {ENAMETOOLONG, "name too long"},
    {ENFILE, "file table overflow"},
    {ENOMEM, "not enough memory"},
    {ETXTBSY, "text file is busy"},
};

// An open failure, worded as Node words one ("ENOENT: no such file or directory, open 'f'"),
// so both helpers put the same line in the CTDB log.
static void describe_open_error(char *buf, size_t size, const char *file, int err) {
  char text[128];
  snprintf(text, sizeof(text), "%s", strerror(err));
  text[0] = (char)tolower((unsigned char)text[0]);
  for (size_t i = 0; i < sizeof(node_error_words) / sizeof(node_error_words[0]); i++)
    if (node_error_words[i].err == err) snprintf(text, sizeof(text), "%s", node_error_words[i].text);
  snprintf(buf, size, "%s: %s, open '%s'", errno_name(err), text, file);
}

// ---------------------------------------------------------------------------------------------
// Arguments.

struct helper_args {
  const char *file;
  unsigned long recheck_seconds; // 0 = no checks
  unsigned long ping_timeout_seconds; // 0 = no limit on a check
};

static void usage_error(const char *reason, const char *what, const char *text) {
  if (what == NULL)
    log_error("%s", reason);
  else
    log_error("%s %s: '%s'", what, reason, text);
  put_line(false, "%s", USAGE);
}

// Whole seconds: decimal digits only (no sign, blanks or hex), at most MAX_SECONDS.
static bool parse_seconds(const char *text, const char *what, unsigned long *out) {
  if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text)) {
    usage_error("must be a whole number of seconds", what, text);
    return false;
  }
  unsigned long n = 0;
  for (const char *p = text; *p != '\0'; p++) {
    n = n * 10 + (unsigned long)(*p - '0');
    if (n > MAX_SECONDS) break; // stop before the arithmetic could overflow
  }
  if (n > MAX_SECONDS) {
    usage_error("is too large", what, text);
    return false;
  }
  *out = n;
  return true;
}

static bool parse_args(int argc, char **argv, struct helper_args *args) {
  if (argc < 2 || argc > 4) {
    usage_error("wrong number of arguments", NULL, NULL);
    return false;
  }
  args->file = argv[1];
  if (args->file[0] == '\0') {
    usage_error("the lock file name is empty", NULL, NULL);
    return false;
  }
  args->recheck_seconds = DEFAULT_RECHECK_SECONDS;
  args->ping_timeout_seconds = 0;
  if (argc > 2 && !parse_seconds(argv[2], "recheck_interval", &args->recheck_seconds))
    return false;
  if (argc > 3 && !parse_seconds(argv[3], "ping_timeout", &args->ping_timeout_seconds))
    return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The lock.

static bool write_status(char status) {
  for (;;) {
    ssize_t n = write(STDOUT_FILENO, &status, 1);
    if (n == 1) return true;
    if (n < 0 && errno == EINTR) continue;
    return false; // stdout closed: the parent is gone (SIGPIPE is ignored)
  }
}

static int lock_byte(int fd, int cmd, short type, off_t start) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};
  int rc;
  do rc = fcntl(fd, cmd, &fl);
  while (rc == -1 && errno == EINTR && cmd == F_SETLKW);
  return rc == -1 ? errno : 0;
}

// Drops the lock at once (closing the descriptor releases it) and ends the process. _exit:
// a check thread may be stuck in the kernel, and there is nothing to flush.
static _Noreturn void release_and_exit(int lock_fd, const char *why) {
  if (why != NULL) log_error("%s", why);
  if (close(lock_fd) == -1 && errno != EINTR)
    log_error("close of the lock file failed: %s (exit releases it)", strerror(errno));
  _exit(0);
}

// ---------------------------------------------------------------------------------------------
// The periodic check, on its own thread. It reports one check_result through a pipe.

enum check_outcome {
  CHECK_OK,
  CHECK_FILE_GONE, // access/stat of the path failed
  CHECK_FILE_REPLACED, // the path names another inode
  CHECK_LOCK_FAILED, // the byte-1 probe (F_SETLKW) failed
  CHECK_UNLOCK_FAILED, // removing the probe lock failed
};

struct check_result {
  int outcome; // enum check_outcome
  int err;
};

struct check_job {
  const char *file;
  int lock_fd;
  dev_t dev;
  ino_t ino;
  int report_fd; // write end of the result pipe
};

static void *run_check(void *arg) {
  const struct check_job *job = arg;
  struct check_result r = {CHECK_OK, 0};
  struct stat st;
  if (access(job->file, R_OK | W_OK) == -1 || stat(job->file, &st) == -1) {
    r = (struct check_result){CHECK_FILE_GONE, errno};
  } else if (st.st_ino != job->ino || st.st_dev != job->dev) {
    r.outcome = CHECK_FILE_REPLACED;
  } else if ((r.err = lock_byte(job->lock_fd, F_SETLKW, F_WRLCK, 1)) != 0) {
    r.outcome = CHECK_LOCK_FAILED;
  } else if ((r.err = lock_byte(job->lock_fd, F_SETLK, F_UNLCK, 1)) != 0) {
    r.outcome = CHECK_UNLOCK_FAILED;
  }
  // One small write to a pipe is atomic. It can only fail if the main thread closed the read
  // end, i.e. the process is exiting anyway.
  ssize_t n;
  do n = write(job->report_fd, &r, sizeof(r));
  while (n == -1 && errno == EINTR);
  return NULL;
}

static int start_check(struct check_job *job) {
  pthread_attr_t attr;
  pthread_t thread;
  int err = pthread_attr_init(&attr);
  if (err != 0) return err;
  // Detached: nobody joins it; a thread stuck in F_SETLKW simply dies with the process.
  err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (err == 0) err = pthread_attr_setstacksize(&attr, CHECK_STACK_BYTES);
  if (err == 0) err = pthread_create(&thread, &attr, run_check, job);
  int destroy_err = pthread_attr_destroy(&attr);
  return err != 0 ? err : destroy_err;
}

// The message for a failed check, or NULL when the lock is still good.
static const char *judge_check(const struct check_result *r, const char *file, char *buf,
                               size_t size) {
  char detail[256];
  switch (r->outcome) {
    case CHECK_OK:
      return NULL;
    case CHECK_FILE_GONE:
      snprintf(buf, size, "lock lost - lock file \"%s\" open failed (%s)", file,
               errno_name(r->err));
      return buf;
    case CHECK_FILE_REPLACED:
      snprintf(buf, size, "lock lost - lock file \"%s\" inode changed", file);
      return buf;
    case CHECK_LOCK_FAILED:
    case CHECK_UNLOCK_FAILED:
      describe_fcntl_error(detail, sizeof(detail),
                           r->outcome == CHECK_LOCK_FAILED ? "fcntl(F_SETLKW)" : "fcntl(F_SETLK)",
                           r->err);
      snprintf(buf, size, "lock fail - lock file \"%s\" test lock error (%s)", file, detail);
      return buf;
    default:
      snprintf(buf, size, "lock fail - lock file \"%s\" test gave an unknown result", file);
      return buf;
  }
}

// ---------------------------------------------------------------------------------------------
// Holding: one poll loop over the signals, the parent's pidfd and the check's result pipe.

static int64_t now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
    // Cannot happen on Linux with a valid clock and pointer. Without a clock no check can be
    // timed, so stop claiming the lock: exiting drops it, and the parent sees EOF (lost).
    log_error("clock_gettime failed: %s", strerror(errno));
    _exit(0);
  }
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct holder {
  const struct helper_args *args;
  int lock_fd;
  int signal_fd;
  int report_rd; // read end of the check result pipe
  struct check_job job;
  pid_t ppid; // the parent at start; any other parent means it has gone
  int pidfd; // -1: poll getppid() every PARENT_POLL_MS instead
};

static _Noreturn void hold(struct holder *h) {
  const int64_t recheck_ms = (int64_t)h->args->recheck_seconds * 1000;
  const int64_t ping_ms = (int64_t)h->args->ping_timeout_seconds * 1000;
  char why[LINE_MAX_BYTES];
  bool checking = false;
  int64_t next_check = now_ms() + recheck_ms;
  int64_t check_deadline = 0;
  int64_t next_parent_poll = now_ms() + PARENT_POLL_MS;

  if (h->ppid <= 1) release_and_exit(h->lock_fd, "parent == 1"); // never wait on init
  if (h->pidfd >= 0 && getppid() != h->ppid) // gone between getppid() and pidfd_open()
    release_and_exit(h->lock_fd, "parent gone");

  for (;;) {
    int64_t wake = INT64_MAX;
    if (recheck_ms > 0 && !checking) wake = next_check;
    if (checking && ping_ms > 0 && check_deadline < wake) wake = check_deadline;
    if (h->pidfd < 0 && next_parent_poll < wake) wake = next_parent_poll;
    int timeout = -1;
    if (wake != INT64_MAX) {
      int64_t left = wake - now_ms();
      timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
    }
    struct pollfd fds[3] = {
        {.fd = h->signal_fd, .events = POLLIN},
        {.fd = h->pidfd, .events = POLLIN}, // a negative fd is skipped by poll
        {.fd = checking ? h->report_rd : -1, .events = POLLIN},
    };
    if (poll(fds, 3, timeout) == -1) {
      if (errno == EINTR) continue;
      snprintf(why, sizeof(why), "poll failed: %s", strerror(errno));
      release_and_exit(h->lock_fd, why);
    }
    if (fds[0].revents != 0) release_and_exit(h->lock_fd, NULL); // SIGTERM/SIGINT: release
    if (fds[1].revents != 0) release_and_exit(h->lock_fd, "parent gone");
    if (fds[2].revents != 0) {
      struct check_result r;
      ssize_t n = read(h->report_rd, &r, sizeof(r));
      if (n == (ssize_t)sizeof(r)) {
        const char *lost = judge_check(&r, h->args->file, why, sizeof(why));
        if (lost != NULL) release_and_exit(h->lock_fd, lost);
        checking = false;
        next_check = now_ms() + recheck_ms; // the interval runs from the end of a check
      } else if (!(n == -1 && (errno == EINTR || errno == EAGAIN))) {
        snprintf(why, sizeof(why), "reading the lock test result failed: %s",
                 n == -1 ? strerror(errno) : "short read");
        release_and_exit(h->lock_fd, why);
      }
    }
    int64_t now = now_ms();
    if (h->pidfd < 0 && now >= next_parent_poll) {
      if (getppid() != h->ppid) release_and_exit(h->lock_fd, "parent gone");
      next_parent_poll = now + PARENT_POLL_MS;
    }
    if (checking && ping_ms > 0 && now >= check_deadline)
      release_and_exit(h->lock_fd, "ping timeout from lock test");
    if (!checking && recheck_ms > 0 && now >= next_check) {
      int err = start_check(&h->job);
      if (err != 0) {
        // A lock we can no longer check is not one we may claim to hold.
        snprintf(why, sizeof(why), "lock fail - lock file \"%s\" test not started (%s)",
                 h->args->file, strerror(err));
        release_and_exit(h->lock_fd, why);
      }
      checking = true;
      check_deadline = now + ping_ms;
    }
  }
}

// ---------------------------------------------------------------------------------------------

// Everything that can fail for reasons other than the lock is set up before taking it, so
// such a failure is an honest '3' rather than a lock taken and dropped at once.
static bool set_up(struct holder *h) {
  sigset_t mask;
  // A parent that goes away must not kill us with SIGPIPE before we release: writes just fail.
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    log_error("cannot ignore SIGPIPE: %s", strerror(errno));
    return false;
  }
  // SIGTERM and SIGINT are read from a descriptor in the poll loop; blocked first, so the
  // check thread inherits the block and never takes them.
  if (sigemptyset(&mask) == -1 || sigaddset(&mask, SIGTERM) == -1 ||
      sigaddset(&mask, SIGINT) == -1) {
    log_error("cannot build the signal mask: %s", strerror(errno));
    return false;
  }
  int err = pthread_sigmask(SIG_BLOCK, &mask, NULL);
  if (err != 0) {
    log_error("cannot block SIGTERM: %s", strerror(err));
    return false;
  }
  h->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (h->signal_fd == -1) {
    log_error("signalfd failed: %s", strerror(errno));
    return false;
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) == -1) {
    log_error("pipe failed: %s", strerror(errno));
    return false;
  }
  // Only the read end is non-blocking: the check thread's write must not be dropped.
  int flags = fcntl(pipe_fds[0], F_GETFL);
  if (flags == -1 || fcntl(pipe_fds[0], F_SETFL, flags | O_NONBLOCK) == -1) {
    log_error("fcntl on the result pipe failed: %s", strerror(errno));
    return false;
  }
  h->report_rd = pipe_fds[0];
  h->job.report_fd = pipe_fds[1];
  return true;
}

// Takes the byte-0 lock: the status byte to print; *lock_fd is set when it is held.
static char take_lock(struct holder *h) {
  const char *file = h->args->file;
  char detail[LINE_MAX_BYTES];
  int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd == -1) {
    describe_open_error(detail, sizeof(detail), file, errno);
    log_error("Unable to open %s - (%s)", file, detail);
    return '3';
  }
  int err = lock_byte(fd, F_SETLK, F_WRLCK, 0);
  if (err != 0) {
    if (close(fd) == -1 && errno != EINTR) log_error("close failed: %s", strerror(errno));
    if (err == EAGAIN || err == EACCES) return '1'; // contention is silent, as in CTDB
    describe_fcntl_error(detail, sizeof(detail), "fcntl(F_SETLK)", err);
    log_error("Failed to get lock on '%s' - (%s)", file, detail);
    return '3';
  }
  // The inode we hold, from the descriptor: by now the path may already name another file.
  struct stat st;
  if (fstat(fd, &st) == -1) {
    log_error("fstat of %s failed: %s", file, strerror(errno));
    if (close(fd) == -1 && errno != EINTR) log_error("close failed: %s", strerror(errno));
    return '3';
  }
  h->lock_fd = fd;
  h->job = (struct check_job){
      .file = file, .lock_fd = fd, .dev = st.st_dev, .ino = st.st_ino,
      .report_fd = h->job.report_fd};
  return '0';
}

int main(int argc, char **argv) {
  struct helper_args args;
  if (!parse_args(argc, argv, &args)) return 1;

  struct holder h = {.args = &args, .lock_fd = -1, .signal_fd = -1, .report_rd = -1, .pidfd = -1};
  h.ppid = getppid(); // the parent we serve; read before anything can reparent us
  if (!set_up(&h)) {
    write_status('3');
    return 0;
  }
  char status = take_lock(&h);
  if (!write_status(status)) {
    if (h.lock_fd >= 0) release_and_exit(h.lock_fd, NULL);
    return 0;
  }
  if (status != '0') return 0;

  if (h.ppid > 1) {
    long fd = syscall(SYS_pidfd_open, h.ppid, 0);
    if (fd >= 0)
      h.pidfd = (int)fd;
    else if (errno == ESRCH)
      release_and_exit(h.lock_fd, "parent gone");
    // else no pidfd here (kernel < 5.3, seccomp): hold() polls getppid() instead.
  }
  hold(&h);
}
