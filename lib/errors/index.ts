// One flat hierarchy of error classes for the toolkit. Every failure a script can meet — an
// external command, a netlink request, a malformed file, a lock that could not be taken, a
// script deciding to stop — is one of these, each carrying the facts as fields rather than
// only as message text. `toNetlinkError` is the single place where the `netlink` package's
// message-only errors become typed ones.

/** The base of every toolkit error. Catch this to catch them all. */
export abstract class ToolkitError extends Error {
  override name = 'ToolkitError';
}

/** An external command exited non-zero, was killed, or could not be started. */
export class CommandError extends ToolkitError {
  override name = 'CommandError';
  constructor(
    /** The program, e.g. `iptables`. */
    readonly command: string,
    /** The arguments after the program. */
    readonly argv: readonly string[],
    /** Exit code, or null when killed by a signal or not started. */
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout = '',
    /** The signal that ended it, if any. */
    readonly signal: string | null = null,
    /** Set when the program could not be started at all (ENOENT, EACCES). */
    readonly spawnError?: string,
  ) {
    const how =
      spawnError !== undefined
        ? `could not be started: ${spawnError}`
        : signal !== null
          ? `was killed by ${signal}`
          : `exited with code ${exitCode}`;
    const detail = stderr.trim();
    super(`${[command, ...argv].join(' ')} ${how}${detail === '' ? '' : `: ${detail}`}`);
  }
}

/** A netlink request the kernel rejected, with the errno name (EEXIST, EADDRNOTAVAIL, …). */
export class NetlinkError extends ToolkitError {
  override name = 'NetlinkError';
  constructor(
    /** The errno name, e.g. `EEXIST`; `EUNKNOWN` when the package gave none. */
    readonly errno: string,
    /** What was asked, e.g. `add address`. */
    readonly operation: string,
    /** What it was asked about, e.g. `10.0.0.5/24 dev eth1`. */
    readonly object: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} ${object}: ${errno}`, options);
  }
}

/** A configuration or data file line that cannot be understood. */
export class ConfigFileError extends ToolkitError {
  override name = 'ConfigFileError';
  constructor(
    readonly file: string,
    /** 1-based line number; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

/** Text that is not an IP address (or prefix) where one is required. */
export class InvalidAddressError extends ToolkitError {
  override name = 'InvalidAddressError';
  constructor(readonly text: string) {
    super(`'${text}' is not an IP address`);
  }
}

/** A network interface that does not exist. */
export class NoSuchInterfaceError extends ToolkitError {
  override name = 'NoSuchInterfaceError';
  constructor(readonly iface: string) {
    super(`interface ${iface} does not exist`);
  }
}

/** A lock that could not be taken within its timeout. */
export class LockTimeoutError extends ToolkitError {
  override name = 'LockTimeoutError';
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`could not lock ${path} within ${timeoutMs} ms`);
  }
}

/** A file under /proc or /sys that could not be read or written. */
export class ProcFileError extends ToolkitError {
  override name = 'ProcFileError';
  constructor(
    readonly path: string,
    readonly operation: 'read' | 'write',
    readonly code: string,
  ) {
    super(`cannot ${operation} ${path}: ${code}`);
  }
}

/**
 * A script stopping on purpose with a message and exit status — the shell `die MSG RC`.
 * Runners print `message` and fail the event with `status`.
 */
export class ScriptExit extends ToolkitError {
  override name = 'ScriptExit';
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

/** The `ctdb` command's `-X` output could not be understood. */
export class CtdbOutputError extends ToolkitError {
  override name = 'CtdbOutputError';
  constructor(
    readonly command: string,
    readonly output: string,
    readonly reason: string,
  ) {
    super(`unexpected output from ${command}: ${reason}`);
  }
}

/** Matches the message the `netlink` package gives a rejected request. */
const REJECTED = /Request rejected: (E[A-Z0-9]+)/;

/**
 * Turns whatever the `netlink` package threw into a NetlinkError. The package throws plain
 * Errors whose only errno information is the text `Request rejected: <ERRNO>`; socket-level
 * failures carry a Node `code`.
 */
export function toNetlinkError(err: unknown, operation: string, object: string): NetlinkError {
  if (err instanceof NetlinkError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const m = REJECTED.exec(message);
  const code = (err as { code?: unknown } | null)?.code;
  const errno = m?.[1] ?? (typeof code === 'string' ? code : 'EUNKNOWN');
  return new NetlinkError(errno, operation, object, { cause: err });
}

/** The errno name of `err` if it is a Node system error (ENOENT, EACCES, …). */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The C library's text for the errno names netlink requests commonly fail with. */
const STRERROR: Readonly<Record<string, string>> = {
  EEXIST: 'File exists',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENODEV: 'No such device',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EPERM: 'Operation not permitted',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  ENETUNREACH: 'Network is unreachable',
  EBUSY: 'Device or resource busy',
  ENOBUFS: 'No buffer space available',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** `strerror` for an errno name; the name itself when it is not in the table. */
export function strerror(errno: string): string {
  return STRERROR[errno] ?? errno;
}
