// Entry logic of the `ctdb` command: parse the global options (accepted anywhere on the line,
// as popt does for CTDB), find the subcommand, run it, and return its exit code. Never calls
// process.exit, so output is flushed before the process ends.
import { COMMAND_INDEX, findCommand } from './registry.js';
import type { CliIo, GlobalOptions } from './types.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

const VALUE_OPTIONS: Readonly<Record<string, keyof GlobalOptions>> = {
  '-n': 'node',
  '--node': 'node',
  '-x': 'separator',
  '-t': 'timeout',
  '--timeout': 'timeout',
  '-T': 'maxRuntime',
  '--maxruntime': 'maxRuntime',
  '-d': 'debugLevel',
  '--debug': 'debugLevel',
};

/** Splits argv into global options and the command words that remain, in order. */
export function parseGlobalOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { options: GlobalOptions; words: string[] } {
  const opts: { -readonly [K in keyof GlobalOptions]: GlobalOptions[K] } = {
    node: undefined,
    machine: false,
    separator: '|',
    verbose: false,
    timeout: 10,
    maxRuntime: Number(env.CTDB_TIMEOUT ?? '') || 120,
    debugLevel: 'ERROR',
  };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag =
      arg.startsWith('--') && eq > 0
        ? arg.slice(0, eq)
        : arg.length > 2 && !arg.startsWith('--')
          ? arg.slice(0, 2)
          : arg;
    const attached =
      arg.startsWith('--') && eq > 0
        ? arg.slice(eq + 1)
        : arg.length > 2 && !arg.startsWith('--')
          ? arg.slice(2)
          : undefined;
    if (flag === '-X' || flag === '-Y' || flag === '--machinereadable') {
      opts.machine = true;
      continue;
    }
    if (flag === '-v' || flag === '--verbose') {
      opts.verbose = true;
      continue;
    }
    const key = VALUE_OPTIONS[flag];
    if (key === undefined) throw new UsageError(`${arg}: unknown option`);
    const value = attached ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag}: missing argument`);
    if (key === 'timeout' || key === 'maxRuntime') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0)
        throw new UsageError(`Invalid option ${flag}: ${value}: invalid numeric value`);
      opts[key] = n;
    } else if (key === 'node' || key === 'separator' || key === 'debugLevel') {
      opts[key] = value;
    }
  }
  return { options: opts, words };
}

export function usage(): string {
  const names = Object.keys(COMMAND_INDEX).sort();
  return [
    'Usage: ctdb [OPTION...] <command> [<args>]',
    '',
    'Options:',
    '  -n, --node=INT             node specification',
    '  -X                         enable machine readable output',
    '  -x SEP                     specify separator for machine readable output',
    '  -v, --verbose              enable verbose output',
    '  -t, --timeout=INT          timelimit (in seconds)',
    '  -T, --maxruntime=INT       die if runtime exceeds this limit (in seconds)',
    '  -d, --debug=STRING         debug level',
    '',
    'Commands:',
    ...names.map((n) => `  ${n}`),
    '',
  ].join('\n');
}

export async function main(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  let parsed: ReturnType<typeof parseGlobalOptions>;
  try {
    parsed = parseGlobalOptions(argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n`);
      io.err(usage());
      return 1;
    }
    throw err;
  }
  const [name, ...args] = parsed.words;
  if (name === undefined) {
    io.err(usage());
    return 1;
  }
  const command = await findCommand(name);
  if (command === undefined) {
    io.err(`Unknown command '${name}'\n`);
    io.err(usage());
    return 1;
  }
  if (command.localOnly === true && parsed.options.node !== undefined) {
    io.err(`Node cannot be specified for command ${name}\n`);
    return 1;
  }
  return command.run(args, { options: parsed.options, io, env });
}
