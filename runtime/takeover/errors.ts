// Typed failures of the public-IP machinery. Handlers return these to the daemon, which turns
// them into a control's non-zero status (and the message into the reply's error text).

export class TakeoverError extends Error {
  override name = 'TakeoverError';
}

/** A line of public_addresses that cannot be read. `line` is 1-based. */
export class PublicAddressesError extends TakeoverError {
  override name = 'PublicAddressesError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file} line ${line}: ${reason}`);
  }
}

/** A control's arguments make no sense (wrong pnn, bad mask, unknown interface…). */
export class TakeoverRequestError extends TakeoverError {
  override name = 'TakeoverRequestError';
}

/** An event script (takeip/releaseip/updateip/ipreallocated) failed or timed out. */
export class TakeoverEventError extends TakeoverError {
  override name = 'TakeoverEventError';
  constructor(
    readonly event: string,
    readonly status: number,
  ) {
    super(`event ${event} failed with status ${status}`);
  }
}

/** The address is in a state that forbids the operation (update in flight, kernel mismatch). */
export class TakeoverStateError extends TakeoverError {
  override name = 'TakeoverStateError';
}

/** A takeover run did not complete (some control failed or the deadline passed). */
export class TakeoverRunError extends TakeoverError {
  override name = 'TakeoverRunError';
  constructor(
    message: string,
    /** PNNs that failed a control and get ban credits. */
    readonly failedPnns: readonly number[],
  ) {
    super(message);
  }
}
