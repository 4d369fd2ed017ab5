// Typed failures of IP allocation input. The allocator itself never fails on well-formed
// input; these describe input that cannot be turned into an allocation problem.

/** The base of every IP allocation error. */
export class IpallocError extends Error {
  override name = 'IpallocError';
}

/** A public address that is neither IPv4 dotted-quad nor IPv6 text. */
export class IpallocAddressError extends IpallocError {
  override name = 'IpallocAddressError';
  constructor(readonly text: string) {
    super(`bad address '${text}'`);
  }
}

/** The allocation input itself is inconsistent (bad PNN, unknown algorithm, …). */
export class IpallocInputError extends IpallocError {
  override name = 'IpallocInputError';
  constructor(
    message: string,
    /** The input field at fault, e.g. `nodes[2].flags`. */
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * A line of the `ctdb_takeover_tests` stdin (or one of its arguments) that cannot be read.
 * `line` is 1-based; 0 means the fault is in an argument or environment variable.
 */
export class IpallocTestInputError extends IpallocError {
  override name = 'IpallocTestInputError';
  constructor(
    readonly reason: string,
    readonly source: string,
    readonly line = 0,
  ) {
    super(line > 0 ? `${source} line ${line}: ${reason}` : `${source}: ${reason}`);
  }
}
