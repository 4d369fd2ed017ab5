// The shape of a `ctdb` subcommand. Each command group lives in its own module and is loaded
// only when one of its commands is run, which keeps `ctdb pnn` fast.

/** Global options, as CTDB 4.17's `ctdb` accepts them anywhere on the command line. */
export interface GlobalOptions {
  /** `-n PNN|all|LIST`: the target node(s); undefined means the local node. */
  readonly node: string | undefined;
  /** `-X`/`-Y`: machine-readable output. */
  readonly machine: boolean;
  /** `-x SEP`: separator for machine output (default `|`). */
  readonly separator: string;
  /** `-v`: verbose. */
  readonly verbose: boolean;
  /** `-t SECONDS`: per-control timeout (default 10). */
  readonly timeout: number;
  /** `-T SECONDS`: whole-command time limit (default 120, or $CTDB_TIMEOUT). */
  readonly maxRuntime: number;
  /** `-d LEVEL`: debug level for the tool's own logging. */
  readonly debugLevel: string;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  readonly options: GlobalOptions;
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  /**
   * Aborted when nobody waits for the command any more (run time limit, caller gone): a
   * command that waits or polls ends soon after, with its connection closed.
   */
  readonly signal?: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** Argument synopsis as CTDB's help prints it, e.g. `[all]` or `<pnn>`. */
  readonly args: string;
  readonly summary: string;
  /** A command that refuses `-n` ("Node cannot be specified for command X"). */
  readonly localOnly?: boolean;
  /** Runs the command and returns the process exit code. */
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}

export interface CommandModule {
  readonly commands: readonly Command[];
}
