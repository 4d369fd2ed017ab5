// Errors for bad configuration input. Each names the file, and the line and key when known,
// so an administrator can find the typo from the message alone.

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly problem: string,
  ) {
    super(
      `${file}${line === undefined ? '' : `:${line}`}: ${key === undefined ? '' : `${key}: `}${problem}`,
    );
  }
}

/** Several configuration errors found in one file, reported together. */
export class ConfigErrors extends Error {
  override name = 'ConfigErrors';
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}
