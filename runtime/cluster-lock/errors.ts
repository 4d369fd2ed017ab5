// One flat hierarchy of error classes for the cluster lock: its configuration, the helper
// processes on the parent side, and the helpers themselves. Each carries its facts as fields.

/** The base of every cluster-lock error. */
export abstract class ClusterLockError extends Error {
  override name = 'ClusterLockError';
}

/** The `cluster lock` setting cannot be used (empty command, unknown helper). */
export class ClusterLockSettingError extends ClusterLockError {
  override name = 'ClusterLockSettingError';
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`cluster lock = ${setting}: ${reason}`);
  }
}

/** A helper's configuration file has a line that cannot be understood. */
export class HelperConfigError extends ClusterLockError {
  override name = 'HelperConfigError';
  constructor(
    readonly file: string,
    /** 1-based line number; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

/** A helper was started with arguments it does not understand. */
export class HelperUsageError extends ClusterLockError {
  override name = 'HelperUsageError';
  constructor(
    readonly reason: string,
    readonly usage: string,
  ) {
    super(`${reason}\n${usage}`);
  }
}

/** A system call of the native addon failed; `code` is the errno name (EAGAIN, EBADF, …). */
export class LockSyscallError extends ClusterLockError {
  override name = 'LockSyscallError';
  constructor(
    readonly code: string,
    readonly syscall: string,
    message: string,
  ) {
    super(message);
  }
}

/** The native addon could not be loaded (not built: run `npx node-gyp rebuild`). */
export class NativeAddonError extends ClusterLockError {
  override name = 'NativeAddonError';
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot load the fcntl_lock addon from ${path} (build it with npx node-gyp rebuild)`,
      options,
    );
  }
}

/** Turns whatever the addon threw into a typed error (the one place that does so). */
export function toLockSyscallError(err: unknown): LockSyscallError {
  if (err instanceof LockSyscallError) return err;
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    return new LockSyscallError(e.code ?? 'EUNKNOWN', e.syscall ?? 'unknown', e.message);
  }
  return new LockSyscallError('EUNKNOWN', 'unknown', String(err));
}
