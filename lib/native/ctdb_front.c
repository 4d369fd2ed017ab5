/*
 * ctdb: the fast front end of the `ctdb` command.
 *
 * Starting Node costs ~100 ms here, more than a whole `ctdb pnn` may take. ctdbd runs a
 * command service (runtime/cli/service.ts) that executes `ctdb` command lines inside the
 * daemon; this program only hands the command line and environment to it and relays what
 * comes back. Whenever the service cannot be used — it is not there (daemon down, Debian's
 * ctdbd, an older daemon) or it answers "run it yourself" — this program execs the bundled
 * Node tool (<root>/dist/ctdb/ctdb.cjs, root found from /proc/self/exe, which is
 * <root>/build/Release/ctdb), so what the user sees is always that tool's output.
 *
 * Wire format: see runtime/cli/service-wire.ts (the one definition; this file follows it).
 *
 * SIGPIPE is left as inherited: when stdout's reader goes away (`ctdb status | head -1`) the
 * process dies of it, as CTDB's own tool does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

/* Keep in step with runtime/cli/service-wire.ts. */
#define REQUEST_MAGIC 0x31494c43u
#define MAX_REQUEST_BYTES (1u << 20)
enum frame_type {
	FRAME_STDOUT = 1,
	FRAME_STDERR = 2,
	FRAME_EXIT = 3,
	FRAME_FALLBACK = 4,
	FRAME_ERROR = 5,
};

/* Where the bundle lies relative to the package root, and this program likewise. */
#define BUNDLE_REL "/dist/ctdb/ctdb.cjs"
#define SELF_REL "/build/Release/ctdb"

static char **saved_argv;

/* Runs the Node tool in this process's place; returns only if that is impossible. */
static _Noreturn void run_tool(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "ctdb: cannot find own path: %s\n", strerror(errno));
		exit(1);
	}
	self[n] = '\0';
	size_t len = (size_t)n;
	size_t rel = strlen(SELF_REL);
	if (len < rel || strcmp(self + len - rel, SELF_REL) != 0) {
		fprintf(stderr, "ctdb: %s is not <root>" SELF_REL "; cannot find the tool\n", self);
		exit(1);
	}
	char bundle[PATH_MAX];
	int w = snprintf(bundle, sizeof(bundle), "%.*s" BUNDLE_REL, (int)(len - rel), self);
	if (w < 0 || (size_t)w >= sizeof(bundle)) {
		fprintf(stderr, "ctdb: path of the tool too long\n");
		exit(1);
	}

	int argc = 0;
	while (saved_argv[argc] != NULL)
		argc++;
	/* node, bundle, the user's arguments (without argv[0]), NULL */
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (args == NULL) {
		fprintf(stderr, "ctdb: out of memory\n");
		exit(1);
	}
	args[0] = "node";
	args[1] = bundle;
	for (int i = 1; i < argc; i++)
		args[i + 1] = saved_argv[i];
	args[argc + 1] = NULL;
	execvp("node", args);
	fprintf(stderr, "ctdb: cannot run node: %s\n", strerror(errno));
	exit(127);
}

/* ctdbd's socket, by the rules of runtime/client/socket-path.ts. NULL: no valid path. */
static const char *ctdbd_socket(char *buf, size_t size)
{
	const char *explicit = getenv("CTDB_SOCKET");
	if (explicit != NULL)
		return explicit;
	if (getenv("CTDB_TEST_MODE") == NULL)
		return "/run/ctdb/ctdbd.socket";
	const char *base = getenv("CTDB_BASE");
	if (base == NULL)
		return NULL; /* the tool prints CTDB's message for this */
	int n = snprintf(buf, size, "%s/run/ctdbd.socket", base);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

/* Connects to the command service next to `ctdbd` (`<socket>.cli`); -1 if there is none. */
static int connect_service(const char *ctdbd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.cli", ctdbd);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -1;
	/* CLOEXEC: the tool exec'd on fallback must not inherit the connection. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc;
	do
		rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Appends a length-prefixed list of strings at `out` (NULL: only count); returns its size. */
static size_t put_strings(unsigned char *out, char *const *list, size_t count)
{
	size_t at = 4;
	if (out != NULL)
		put_u32(out, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(list[i]);
		if (out != NULL) {
			put_u32(out + at, (uint32_t)len);
			memcpy(out + at + 4, list[i], len);
		}
		at += 4 + len;
	}
	return at;
}

/* The request (service-wire.ts) in a fresh buffer; NULL if too large to send. */
static unsigned char *build_request(int argc, char **argv, size_t *size)
{
	size_t envc = 0;
	while (environ[envc] != NULL)
		envc++;
	size_t nargs = argc > 0 ? (size_t)argc - 1 : 0;
	char *const *args = argv + (argc > 0 ? 1 : 0);
	/* Count first; each string is bounded by the kernel's ARG_MAX, so no overflow here. */
	size_t body = put_strings(NULL, args, nargs) + put_strings(NULL, environ, envc);
	if (body > MAX_REQUEST_BYTES)
		return NULL;
	unsigned char *req = malloc(8 + body);
	if (req == NULL)
		return NULL;
	put_u32(req, REQUEST_MAGIC);
	put_u32(req + 4, (uint32_t)body);
	size_t at = 8 + put_strings(req + 8, args, nargs);
	put_strings(req + at, environ, envc);
	*size = 8 + body;
	return req;
}

/* Sends all of `buf`; false if the service went away. MSG_NOSIGNAL: no SIGPIPE for that. */
static int send_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 1;
}

/* Reads exactly `len` bytes; 1 on success, 0 at end of stream or on error. */
static int read_all(int fd, unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		buf += n;
		len -= (size_t)n;
	}
	return 1;
}

/*
 * Writes command output to fd 1 or 2. A closed pipe raises SIGPIPE (default: death, as for
 * CTDB's tool); if SIGPIPE is ignored, the reader is gone and so is the point of running on.
 * Other errors (e.g. a closed descriptor) drop the output, as a tool writing to it would.
 */
static void output(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				exit(1);
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	saved_argv = argv;

	char pathbuf[PATH_MAX];
	const char *ctdbd = ctdbd_socket(pathbuf, sizeof(pathbuf));
	if (ctdbd == NULL)
		run_tool();
	int fd = connect_service(ctdbd);
	if (fd < 0)
		run_tool();

	size_t size;
	unsigned char *req = build_request(argc, argv, &size);
	if (req == NULL) {
		close(fd);
		run_tool();
	}
	int sent = send_all(fd, req, size);
	free(req);
	if (!sent) {
		close(fd);
		run_tool();
	}

	/* Relay frames. Before any output arrives, giving up is still safe: run the tool. */
	int relayed = 0;
	static unsigned char chunk[65536];
	for (;;) {
		unsigned char head[5];
		if (!read_all(fd, head, sizeof(head))) {
			close(fd);
			if (!relayed)
				run_tool(); /* the daemon went away before answering */
			fprintf(stderr, "ctdb: lost the connection to ctdbd's command service\n");
			return 1;
		}
		uint32_t len = get_u32(head + 1);
		switch (head[0]) {
		case FRAME_STDOUT:
		case FRAME_STDERR: {
			int out = head[0] == FRAME_STDOUT ? 1 : 2;
			relayed = 1;
			while (len > 0) {
				size_t part = len < sizeof(chunk) ? len : sizeof(chunk);
				if (!read_all(fd, chunk, part)) {
					fprintf(stderr,
						"ctdb: lost the connection to ctdbd's command service\n");
					return 1;
				}
				output(out, chunk, part);
				len -= (uint32_t)part;
			}
			break;
		}
		case FRAME_EXIT: {
			unsigned char code[4];
			if (len != sizeof(code) || !read_all(fd, code, sizeof(code))) {
				fprintf(stderr, "ctdb: bad reply from ctdbd's command service\n");
				return 1;
			}
			close(fd);
			return (int)(get_u32(code) & 0xff);
		}
		case FRAME_FALLBACK:
		case FRAME_ERROR:
		default:
			/* Not served, or the service did not understand us: the tool does it. */
			close(fd);
			if (!relayed)
				run_tool();
			fprintf(stderr, "ctdb: bad reply from ctdbd's command service\n");
			return 1;
		}
	}
}
