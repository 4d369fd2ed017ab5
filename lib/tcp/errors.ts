// Errors of the TCP and neighbour toolkit: one flat hierarchy, so callers can tell a refused
// raw socket (EPERM without CAP_NET_RAW) from a malformed connection string.

/** Base class of every error thrown by lib/tcp and lib/neighbours. */
export class TcpError extends Error {
  override name = 'TcpError';
}

/** A system call on a raw, packet or netlink socket failed. */
export class RawNetError extends TcpError {
  override name = 'RawNetError';
  constructor(
    /** The errno name, e.g. `EPERM`, `ENODEV`. */
    readonly code: string,
    /** The errno number. */
    readonly errno: number,
    /** What was being done, e.g. `sendto(SOCK_RAW)`, `SIOCGIFINDEX`. */
    readonly operation: string,
    /** What it was done to: an interface name, `IP:PORT`, `capture`. */
    readonly object: string,
    /** The system's text for the errno (strerror), e.g. `Operation not permitted`. */
    readonly description: string = code,
    message = `${operation} ${object}: ${description} (${code})`,
  ) {
    super(message);
  }
}

/** A connection or endpoint string (`IP:PORT`, `SRC DST`) could not be parsed. */
export class ConnectionParseError extends TcpError {
  override name = 'ConnectionParseError';
  constructor(
    /** The text that was refused. */
    readonly text: string,
    /** Why, in a few words. */
    readonly reason: string,
  ) {
    super(`Bad connection ${JSON.stringify(text)}: ${reason}`);
  }
}
