// The mutex-helper status byte: the whole of what a helper tells its parent. One table.

export const MutexStatus = {
  /** The helper took the mutex and holds it until SIGTERM. */
  Held: '0',
  /** Someone else holds it. */
  Contended: '1',
  /** No answer in time (synthesised by the parent; helpers need not send it). */
  Timeout: '2',
  /** Anything else went wrong (the helper says why on stderr). */
  Error: '3',
} as const;

export type MutexStatus = (typeof MutexStatus)[keyof typeof MutexStatus];

const known = new Set<string>(Object.values(MutexStatus));

/** Reads a status byte; anything that is not one of the four is an error. */
export function parseStatusByte(byte: number | undefined): MutexStatus {
  if (byte === undefined) return MutexStatus.Error;
  const ch = String.fromCharCode(byte);
  return known.has(ch) ? (ch as MutexStatus) : MutexStatus.Error;
}

export function describeStatus(status: MutexStatus): string {
  switch (status) {
    case MutexStatus.Held:
      return 'held';
    case MutexStatus.Contended:
      return 'contention';
    case MutexStatus.Timeout:
      return 'timeout';
    case MutexStatus.Error:
      return 'error';
  }
}
