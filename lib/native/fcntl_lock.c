// fcntl_lock: POSIX byte-range locks on a file descriptor, and a watcher that reports a
// process's exit the moment it happens. Node has neither.
//
// Locks are classic fcntl(2) record locks (F_SETLK/F_SETLKW/F_GETLK), not flock(2): cluster
// filesystems forward fcntl locks to their cluster-wide lock manager, which is what a cluster
// mutex needs. They belong to the process: closing *any* descriptor of the file releases them.
//
// Process exit is watched through a pidfd (pidfd_open(2), Linux 5.3+) polled by libuv, so the
// callback runs as soon as the process terminates, whichever thread made it. (PR_SET_PDEATHSIG
// fires when the parent *thread* that forked us exits, which is wrong for a parent with threads.)
//
// Errors are thrown as Error objects with `code` (errno name), `errno` and `syscall`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

static const char *errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(err);
  if (name != NULL) return name;
#endif
  switch (err) {
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    case ENOLCK: return "ENOLCK";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    default: return "EUNKNOWN";
  }
}

static napi_value errno_error(napi_env env, int err, const char *syscall) {
  char message[160];
  napi_value code, msg, error, num, sys;
  snprintf(message, sizeof(message), "%s: %s (%s)", syscall, strerror(err), errno_name(err));
  CHECK(napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code));
  CHECK(napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg));
  CHECK(napi_create_error(env, code, msg, &error));
  CHECK(napi_create_int32(env, -err, &num));
  CHECK(napi_set_named_property(env, error, "errno", num));
  CHECK(napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys));
  CHECK(napi_set_named_property(env, error, "syscall", sys));
  return error;
}

static void throw_errno(napi_env env, int err, const char *syscall) {
  napi_value error = errno_error(env, err, syscall);
  if (error != NULL) napi_throw(env, error);
}

// Reads a non-negative integer argument no larger than `max`.
static int get_uint(napi_env env, napi_value value, const char *what, int64_t max, int64_t *out) {
  napi_valuetype type;
  double d;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    char msg[96];
    snprintf(msg, sizeof(msg), "%s must be a number", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return 0;
  }
  napi_get_value_double(env, value, &d);
  if (!(d >= 0 && d <= (double)max) || d != (double)(int64_t)d) {
    char msg[96];
    snprintf(msg, sizeof(msg), "%s must be an integer from 0 to %lld", what, (long long)max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

// Lock type names as JS sees them: 'read', 'write', 'unlock'.
static int get_lock_type(napi_env env, napi_value value, short *out) {
  char buf[8];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, buf, sizeof(buf), &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "lock type must be a string");
    return 0;
  }
  if (strcmp(buf, "read") == 0) *out = F_RDLCK;
  else if (strcmp(buf, "write") == 0) *out = F_WRLCK;
  else if (strcmp(buf, "unlock") == 0) *out = F_UNLCK;
  else {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE",
                           "lock type must be 'read', 'write' or 'unlock'");
    return 0;
  }
  return 1;
}

// Parses (fd, type, start, len) into a struct flock. Returns the fd, or -1 after throwing.
static int get_lock_args(napi_env env, napi_callback_info info, struct flock *fl) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t fd, start, len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc != 4) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "expected (fd, type, start, length)");
    return -1;
  }
  memset(fl, 0, sizeof(*fl));
  if (!get_uint(env, argv[0], "fd", INT32_MAX, &fd)) return -1;
  if (!get_lock_type(env, argv[1], &fl->l_type)) return -1;
  if (!get_uint(env, argv[2], "start", INT64_C(9007199254740991), &start)) return -1;
  if (!get_uint(env, argv[3], "length", INT64_C(9007199254740991), &len)) return -1;
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)start;
  fl->l_len = (off_t)len;
  return (int)fd;
}

// setLock(fd, type, start, len): F_SETLK; throws EAGAIN/EACCES on contention.
static napi_value set_lock(napi_env env, napi_callback_info info) {
  struct flock fl;
  int fd = get_lock_args(env, info, &fl);
  if (fd < 0) return NULL;
  int rc;
  do rc = fcntl(fd, F_SETLK, &fl);
  while (rc == -1 && errno == EINTR);
  if (rc == -1) {
    throw_errno(env, errno, "fcntl(F_SETLK)");
    return NULL;
  }
  napi_value result;
  CHECK(napi_get_undefined(env, &result));
  return result;
}

// getLock(fd, type, start, len): F_GETLK; null when the lock could be placed, else the holder.
static napi_value get_lock(napi_env env, napi_callback_info info) {
  struct flock fl;
  int fd = get_lock_args(env, info, &fl);
  if (fd < 0) return NULL;
  if (fl.l_type == F_UNLCK) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "getLock needs 'read' or 'write'");
    return NULL;
  }
  if (fcntl(fd, F_GETLK, &fl) == -1) {
    throw_errno(env, errno, "fcntl(F_GETLK)");
    return NULL;
  }
  napi_value result, v;
  if (fl.l_type == F_UNLCK) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, fl.l_type == F_RDLCK ? "read" : "write", NAPI_AUTO_LENGTH,
                                &v));
  CHECK(napi_set_named_property(env, result, "type", v));
  CHECK(napi_create_int64(env, (int64_t)fl.l_start, &v));
  CHECK(napi_set_named_property(env, result, "start", v));
  CHECK(napi_create_int64(env, (int64_t)fl.l_len, &v));
  CHECK(napi_set_named_property(env, result, "length", v));
  CHECK(napi_create_int32(env, (int32_t)fl.l_pid, &v));
  CHECK(napi_set_named_property(env, result, "pid", v));
  return result;
}

// setLockWait(fd, type, start, len) → Promise: F_SETLKW on a worker thread, so a slow lock
// manager never blocks the event loop.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  struct flock fl;
  int err;
} wait_request;

static void wait_execute(napi_env env, void *data) {
  (void)env;
  wait_request *req = data;
  int rc;
  do rc = fcntl(req->fd, F_SETLKW, &req->fl);
  while (rc == -1 && errno == EINTR);
  req->err = rc == -1 ? errno : 0;
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  wait_request *req = data;
  napi_value value;
  if (status != napi_ok) req->err = ECANCELED;
  if (req->err == 0) {
    napi_get_undefined(env, &value);
    napi_resolve_deferred(env, req->deferred, value);
  } else {
    value = errno_error(env, req->err, "fcntl(F_SETLKW)");
    napi_reject_deferred(env, req->deferred, value);
  }
  napi_delete_async_work(env, req->work);
  free(req);
}

static napi_value set_lock_wait(napi_env env, napi_callback_info info) {
  struct flock fl;
  int fd = get_lock_args(env, info, &fl);
  if (fd < 0) return NULL;
  wait_request *req = calloc(1, sizeof(*req));
  if (req == NULL) {
    throw_errno(env, ENOMEM, "setLockWait");
    return NULL;
  }
  req->fd = fd;
  req->fl = fl;
  napi_value promise, name;
  if (napi_create_promise(env, &req->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "fcntl_lock_wait", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, wait_execute, wait_complete, req, &req->work) !=
          napi_ok ||
      napi_queue_async_work(env, req->work) != napi_ok) {
    free(req);
    return NULL;
  }
  return promise;
}

// watchProcess(pid, callback) → { close() }: calls `callback()` once, when process `pid` exits.
typedef struct process_watch_s {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  int pidfd;
  int closed;
  struct process_watch_s **slot;  // the JS handle's pointer to us, cleared when we stop
} process_watch;

static void watch_handle_closed(uv_handle_t *handle) {
  process_watch *w = handle->data;
  close(w->pidfd);
  free(w);
}

static void watch_stop(process_watch *w) {
  if (w->closed) return;
  w->closed = 1;
  if (w->slot != NULL) {
    *w->slot = NULL;
    w->slot = NULL;
  }
  uv_poll_stop(&w->poll);
  if (w->callback != NULL) {
    napi_delete_reference(w->env, w->callback);
    w->callback = NULL;
  }
  uv_close((uv_handle_t *)&w->poll, watch_handle_closed);
}

static void watch_fired(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  process_watch *w = poll->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_value callback = NULL, global, resource_name, ignored;
  napi_async_context context;
  if (w->closed) return;
  napi_open_handle_scope(env, &scope);
  if (w->callback != NULL) napi_get_reference_value(env, w->callback, &callback);
  napi_ref keep = w->callback;
  w->callback = NULL;  // fire once; watch_stop must not delete the reference we still use
  watch_stop(w);
  if (callback != NULL) {
    napi_get_global(env, &global);
    napi_create_string_utf8(env, "fcntl_lock_watch", NAPI_AUTO_LENGTH, &resource_name);
    if (napi_async_init(env, NULL, resource_name, &context) == napi_ok) {
      napi_make_callback(env, context, global, callback, 0, NULL, &ignored);
      napi_async_destroy(env, context);
    }
  }
  if (keep != NULL) napi_delete_reference(env, keep);
  napi_close_handle_scope(env, scope);
}

static napi_value watch_close(napi_env env, napi_callback_info info) {
  void *data;
  napi_value result;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, NULL, &data));
  // `data` lives as long as the close function; it is cleared when the watch stops.
  process_watch **slot = data;
  if (*slot != NULL) watch_stop(*slot);
  CHECK(napi_get_undefined(env, &result));
  return result;
}

// The handle object was collected: the watch goes on (like a Node timer), it just can no
// longer be closed from JS.
static void slot_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  process_watch **slot = data;
  if (*slot != NULL) (*slot)->slot = NULL;
  free(slot);
}

static napi_value watch_process(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t pid;
  napi_valuetype type;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "expected (pid, callback)");
    return NULL;
  }
  if (!get_uint(env, argv[0], "pid", INT32_MAX, &pid)) return NULL;
  if (pid < 1) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "pid must be positive");
    return NULL;
  }
  CHECK(napi_typeof(env, argv[1], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd == -1) {
    throw_errno(env, errno, "pidfd_open");
    return NULL;
  }
  (void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  CHECK(napi_get_uv_event_loop(env, &loop));
  process_watch *w = calloc(1, sizeof(*w));
  process_watch **slot = calloc(1, sizeof(*slot));
  if (w == NULL || slot == NULL) {
    free(w);
    free(slot);
    close(pidfd);
    throw_errno(env, ENOMEM, "watchProcess");
    return NULL;
  }
  w->env = env;
  w->pidfd = pidfd;
  int rc = uv_poll_init(loop, &w->poll, pidfd);
  if (rc != 0) {
    close(pidfd);
    free(w);
    free(slot);
    throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->callback);
  rc = uv_poll_start(&w->poll, UV_READABLE, watch_fired);
  if (rc != 0) {
    watch_stop(w);
    free(slot);
    throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  *slot = w;
  w->slot = slot;
  napi_value handle, close_fn;
  CHECK(napi_create_object(env, &handle));
  CHECK(napi_create_function(env, "close", NAPI_AUTO_LENGTH, watch_close, slot, &close_fn));
  CHECK(napi_add_finalizer(env, close_fn, slot, slot_finalize, NULL, NULL));
  CHECK(napi_set_named_property(env, handle, "close", close_fn));
  return handle;
}

// exitNow(code): _exit(2) without atexit handlers. Exiting normally joins libuv's worker
// threads, and one may be blocked in F_SETLKW on a stuck cluster filesystem for ever.
static napi_value exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t code = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1 && !get_uint(env, argv[0], "exit code", 255, &code)) return NULL;
  fflush(NULL);
  _exit((int)code);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setLock", NULL, set_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setLockWait", NULL, set_lock_wait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getLock", NULL, get_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchProcess", NULL, watch_process, NULL, NULL, NULL, napi_enumerable, NULL},
      {"exitNow", NULL, exit_now, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
