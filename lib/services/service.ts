// Starting and stopping a system service the way CTDB's `service` function picks a tool: the
// first that exists of /sbin/service, /usr/sbin/service, /bin/systemctl, then the init script
// under $CTDB_SYS_ETCDIR/init.d or rc.d/init.d. `nice` is the `nice_service` variant.
import { access, constants } from 'node:fs/promises';
import { run, type RunResult } from '../shell/index.js';

export type ServiceOp = 'start' | 'stop' | 'restart' | 'reload' | 'status' | (string & {});

export interface ServiceOptions {
  /** Default `/etc` (CTDB_SYS_ETCDIR). */
  readonly sysEtcDir?: string;
  /** Run under `nice`, as `nice_service` does. */
  readonly nice?: boolean;
  readonly signal?: AbortSignal;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The argv CTDB's `service NAME OP` would run, or undefined when no tool is available. */
export async function serviceCommand(
  name: string,
  op: ServiceOp,
  opts: ServiceOptions = {},
): Promise<string[] | undefined> {
  const etc = opts.sysEtcDir ?? '/etc';
  let argv: string[] | undefined;
  for (const tool of ['/sbin/service', '/usr/sbin/service']) {
    if (await executable(tool)) {
      argv = [tool, name, op];
      break;
    }
  }
  if (argv === undefined && (await executable('/bin/systemctl')))
    argv = ['/bin/systemctl', op, name];
  if (argv === undefined) {
    for (const script of [`${etc}/init.d/${name}`, `${etc}/rc.d/init.d/${name}`]) {
      if (await executable(script)) {
        argv = [script, op];
        break;
      }
    }
  }
  if (argv === undefined) return undefined;
  return opts.nice === true ? ['nice', ...argv] : argv;
}

/**
 * Runs OP on service NAME; an empty NAME does nothing (as in CTDB). Resolves with the
 * command's result, undefined if nothing was run; a non-zero exit rejects with CommandError.
 */
export async function service(
  name: string,
  op: ServiceOp,
  opts: ServiceOptions = {},
): Promise<RunResult | undefined> {
  if (name === '') return undefined;
  const argv = await serviceCommand(name, op, opts);
  if (argv === undefined) return undefined;
  const [cmd, ...args] = argv as [string, ...string[]];
  return run(cmd, args, opts.signal === undefined ? {} : { signal: opts.signal });
}
