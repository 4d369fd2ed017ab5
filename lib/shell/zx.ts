// zx's `$` for ad-hoc commands in a hook, bound to the hook's AbortSignal (the command is
// killed when the event's deadline passes) and its logger (each command is logged at debug),
// quiet by default, and with failures rethrown as CommandError. zx is loaded on first use so
// scripts that never call it do not pay for it.
import type { Logger } from 'pino';
import type { ProcessOutput } from 'zx/core';
import { CommandError } from '../errors/index.js';

export interface ShellBinding {
  readonly signal: AbortSignal;
  readonly log: Pick<Logger, 'debug'>;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** A tagged-template runner: `` await sh`ip -j addr show dev ${iface}` ``. */
export type BoundShell = (
  pieces: TemplateStringsArray,
  ...args: unknown[]
) => Promise<ProcessOutput>;

/** Returns zx's `$` bound to a hook's signal and logger; failures reject with CommandError. */
export function boundShell(binding: ShellBinding): BoundShell {
  return async (pieces, ...args) => {
    const { $ } = await import('zx/core');
    const shell = $({
      signal: binding.signal,
      quiet: true,
      verbose: false,
      env: binding.env ?? process.env,
      ...(binding.cwd === undefined ? {} : { cwd: binding.cwd }),
      log: (entry) => {
        if (entry.kind === 'cmd') binding.log.debug({ cmd: entry.cmd }, 'running command');
      },
    });
    try {
      return await shell(pieces, ...args);
    } catch (err) {
      throw toCommandError(err, String.raw({ raw: pieces }, ...args.map(String)));
    }
  };
}

function toCommandError(err: unknown, cmd: string): unknown {
  if (typeof err !== 'object' || err === null || !('stderr' in err) || !('exitCode' in err))
    return err;
  const out = err as ProcessOutput;
  const [command = cmd, ...argv] = cmd.split(/\s+/).filter((w) => w !== '');
  return new CommandError(command, argv, out.exitCode, out.stderr, out.stdout, out.signal);
}
