// Entry logic of the `ctdb` command: parse the global options as CTDB 4.17's tool does (popt:
// options anywhere on the line, clustered short options, `--opt=value`, `--` ends options), find
// the subcommand, run it, and return its exit code. Messages and exit codes follow the real
// tool: `Invalid option X: reason` (1), `Unknown command 'x'` (1), the full help on stdout when
// no command is given (1), `--help`/`--usage` (0).
import { BRIEF_USAGE, OPTION_HELP, fullUsage } from './format/usage.js';
import { parsePoptInt, smbStrtoul32 } from './format/numbers.js';
import { findCommand } from './registry.js';
import type { CliIo, GlobalOptions } from './types.js';

/** A command-line problem popt reports as `Invalid option <token>: <reason>`. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    readonly token: string,
    readonly reason: string,
  ) {
    super(`Invalid option ${token}: ${reason}`);
  }
}

type OptionKind = 'flag' | 'int' | 'string' | 'help' | 'usage';

interface OptionSpec {
  readonly kind: OptionKind;
  readonly key:
    | 'debugLevel'
    | 'timeout'
    | 'node'
    | 'machine'
    | 'separator'
    | 'verbose'
    | 'maxRuntime'
    | 'help'
    | 'usage';
}

const SHORT: Readonly<Record<string, OptionSpec>> = {
  d: { kind: 'string', key: 'debugLevel' },
  t: { kind: 'int', key: 'timeout' },
  n: { kind: 'int', key: 'node' },
  Y: { kind: 'flag', key: 'machine' },
  x: { kind: 'string', key: 'separator' },
  X: { kind: 'flag', key: 'machine' },
  v: { kind: 'flag', key: 'verbose' },
  T: { kind: 'int', key: 'maxRuntime' },
  '?': { kind: 'help', key: 'help' },
};

const LONG: Readonly<Record<string, OptionSpec>> = {
  debug: SHORT.d!,
  timelimit: SHORT.t!,
  node: SHORT.n!,
  separator: SHORT.x!,
  verbose: SHORT.v!,
  maxruntime: SHORT.T!,
  help: SHORT['?']!,
  usage: { kind: 'usage', key: 'usage' },
};

export type ParseResult =
  | { readonly kind: 'run'; readonly options: GlobalOptions; readonly words: string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage' };

/** Splits argv into global options and the command words that remain, in order. */
export function parseGlobalOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  let node = -1;
  let machine = false;
  let separator = '|';
  let verbose = false;
  let timeout = 10;
  let maxRuntime = 0;
  let debugLevel = 'ERROR';
  const words: string[] = [];

  const apply = (
    spec: OptionSpec,
    token: string,
    value: string | undefined,
  ): ParseResult | undefined => {
    switch (spec.kind) {
      case 'help':
        return { kind: 'help' };
      case 'usage':
        return { kind: 'usage' };
      case 'flag':
        if (spec.key === 'machine') machine = true;
        else verbose = true;
        return undefined;
      case 'string':
        if (spec.key === 'separator') separator = value!;
        else debugLevel = value!;
        return undefined;
      case 'int': {
        const n = parsePoptInt(value!);
        if (!n.ok) throw new UsageError(token, n.reason);
        if (spec.key === 'node') node = n.value;
        else if (spec.key === 'timeout') timeout = n.value;
        else maxRuntime = n.value;
        return undefined;
      }
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = LONG[name];
      if (spec === undefined) throw new UsageError(arg, 'unknown option');
      let value: string | undefined;
      let token = arg;
      if (spec.kind === 'int' || spec.kind === 'string') {
        if (eq !== -1) value = arg.slice(eq + 1);
        else {
          value = argv[++i];
          if (value === undefined) throw new UsageError(arg, 'missing argument');
          token = value;
        }
      }
      const r = apply(spec, token, value);
      if (r !== undefined) return r;
      continue;
    }
    // A cluster of short options: flags, then at most one option taking a value.
    for (let j = 1; j < arg.length; j++) {
      const spec = SHORT[arg[j]!];
      if (spec === undefined) throw new UsageError(`-${arg[j]}`, 'unknown option');
      if (spec.kind === 'int' || spec.kind === 'string') {
        let value: string | undefined = arg.slice(j + 1);
        let token = arg;
        if (value === '') {
          value = argv[++i];
          if (value === undefined) throw new UsageError(arg, 'missing argument');
          token = value;
        }
        const r = apply(spec, token, value);
        if (r !== undefined) return r;
        break;
      }
      const r = apply(spec, arg, undefined);
      if (r !== undefined) return r;
    }
  }

  if (maxRuntime === 0) {
    const fromEnv = env.CTDB_TIMEOUT;
    if (fromEnv !== undefined) {
      const n = smbStrtoul32(fromEnv);
      if (!n.ok) throw new InvalidEnvError('Invalid value CTDB_TIMEOUT');
      maxRuntime = n.value;
    } else {
      maxRuntime = 120;
    }
  }

  return {
    kind: 'run',
    options: {
      node: node === -1 ? undefined : String(node),
      machine,
      separator,
      verbose,
      timeout,
      maxRuntime,
      debugLevel,
    },
    words,
  };
}

export class InvalidEnvError extends Error {
  override name = 'InvalidEnvError';
}

/** The full help: options and every command (what `ctdb` alone prints). */
export function usage(): string {
  return fullUsage();
}

/** What a caller embedding the CLI can pass besides argv, io and the environment. */
export interface MainOptions {
  /** Aborted when the caller no longer wants the result (its client went away). */
  readonly signal?: AbortSignal;
}

export async function main(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  opts: MainOptions = {},
): Promise<number> {
  let parsed: ParseResult;
  try {
    parsed = parseGlobalOptions(argv, env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidEnvError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    io.out(OPTION_HELP);
    return 0;
  }
  if (parsed.kind === 'usage') {
    io.out(BRIEF_USAGE);
    return 0;
  }
  const [name, ...args] = parsed.words;
  if (name === undefined) {
    io.out(fullUsage());
    return 1;
  }
  const command = await findCommand(name);
  if (command === undefined) {
    io.err(`Unknown command '${name}'\n`);
    return 1;
  }
  if (command.localOnly === true && parsed.options.node !== undefined) {
    io.err(`Cannot specify node for command ${name}\n`);
    return 1;
  }
  // The command stops (closes its daemon connection, leaves its waits) when the caller goes
  // away or the run time limit passes; in a one-shot process the exit does that anyway.
  const stop = new AbortController();
  const onOuterAbort = (): void => {
    stop.abort();
  };
  if (opts.signal?.aborted === true) stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // CTDB's tool arms alarm(maxruntime) and exits 1 when it fires; a stuck command must not
  // outlive it. The timer is unref'd so it never delays a normal exit; setTimeout's range
  // ends at 2^31-1 ms (a longer delay would fire at once).
  const maxRuntimeMs = Math.min(parsed.options.maxRuntime * 1000, 0x7fffffff);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const expired = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      io.err('Maximum runtime exceeded - exiting\n');
      timedOut = true;
      stop.abort();
      resolve(1);
    }, maxRuntimeMs);
    timer.unref();
  });
  // After the time limit the real tool has exited: whatever the stopping command still says
  // (its failed controls) is not shown.
  const commandIo: CliIo = {
    out: (text) => {
      if (!timedOut) io.out(text);
    },
    err: (text) => {
      if (!timedOut) io.err(text);
    },
  };
  try {
    const ctx = { options: parsed.options, io: commandIo, env, signal: stop.signal };
    const code = await Promise.race([command.run(args, ctx), expired]);
    // Exit statuses are 8 bits; CTDB returns -1 as 1 and errno values as they are.
    return code === -1 ? 1 : code & 0xff;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
