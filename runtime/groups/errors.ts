// Typed failures of the NAT gateway / LVS group helpers. Each carries the exit code the
// shell helpers (ctdb_natgw, ctdb_lvs) use for the same condition, so the command can return it.

export class GroupError extends Error {
  override name = 'GroupError';
  constructor(
    message: string,
    /** The process exit code CTDB's helper uses for this failure. */
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The nodes file is missing or unreadable. */
export class GroupNodesFileMissingError extends GroupError {
  override name = 'GroupNodesFileMissingError';
}

/** A line of the nodes file is malformed (unknown option, not an IP address). */
export class GroupNodesFileSyntaxError extends GroupError {
  override name = 'GroupNodesFileSyntaxError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message, 1);
  }
}

/** `ctdb nodestatus` could not be run or its output could not be read. */
export class NodeStatusUnavailableError extends GroupError {
  override name = 'NodeStatusUnavailableError';
}
