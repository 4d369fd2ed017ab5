// Failures of the daemon's own requests (a control sent to another node, an event run).

export class ControlFailedError extends Error {
  override name = 'ControlFailedError';
  constructor(
    readonly pnn: number,
    readonly opcode: number,
    readonly reason: string,
  ) {
    super(`control ${opcode} to node ${pnn} failed: ${reason}`);
  }
}

/** A fatal start-up problem; the message is what ctdbd prints before exiting. */
export class StartupError extends Error {
  override name = 'StartupError';
}
