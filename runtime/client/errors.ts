// Typed failures of the ctdbd client. Each carries the errno-style number CTDB's tool returns as
// its exit status, and a message worded as CTDB's client library words it.
import { controlInfo } from '../protocol/controls.js';

export const Errno = {
  ENOENT: 2,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  EPIPE: 32,
  ETIME: 62,
  EPROTO: 71,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

export class ClientError extends Error {
  override name = 'ClientError';
  constructor(
    message: string,
    /** errno-style code; the tool's exit status when the failure ends a command. */
    readonly errno: number,
  ) {
    super(message);
  }
}

/** The Unix socket could not be reached. */
export class ConnectError extends ClientError {
  override name = 'ConnectError';
  constructor(
    readonly socketPath: string,
    errno: number,
  ) {
    super(`connect() failed, errno=${errno}`, errno);
  }
}

/** The connection to ctdbd went away while requests were outstanding. */
export class DisconnectedError extends ClientError {
  override name = 'DisconnectedError';
  constructor() {
    super('connection to ctdbd closed', Errno.ENOTCONN);
  }
}

export function controlName(opcode: number): string {
  return controlInfo(opcode)?.name ?? `opcode ${opcode}`;
}

/** No reply arrived (timeout, disconnect, undecodable reply): "Control X failed to node N". */
export class ControlTransportError extends ClientError {
  override name = 'ControlTransportError';
  constructor(
    readonly opcode: number,
    readonly destnode: number,
    errno: number,
  ) {
    super(`Control ${controlName(opcode)} failed to node ${destnode}, ret=${errno}`, errno);
  }
}

/** The daemon answered with a failure status: "Control X failed, ret=S". */
export class ControlStatusError extends ClientError {
  override name = 'ControlStatusError';
  constructor(
    readonly opcode: number,
    readonly destnode: number,
    readonly status: number,
    readonly errorMessage: string | undefined,
  ) {
    super(`Control ${controlName(opcode)} failed, ret=${status}`, status);
  }
}
