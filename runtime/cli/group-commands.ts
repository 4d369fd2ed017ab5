// `ctdb natgw leader|list|status` and `ctdb lvs leader|list|status`. CTDB 4.17 execs its
// helper (ctdb_natgw / ctdb_lvs) for these; we run the same helper logic in process, unless
// CTDB_NATGW_HELPER / CTDB_LVS_HELPER names a program to exec instead, as CTDB honours them.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { runGroupHelper, type GroupKind } from '../groups/index.js';
import type { Command, CommandContext } from './types.js';

interface GroupCommandSpec {
  readonly kind: GroupKind;
  readonly summary: string;
  readonly helperVariable: string;
  /** How CTDB names the helper in its error messages. */
  readonly helperLabel: string;
}

const SPECS: readonly GroupCommandSpec[] = [
  {
    kind: 'natgw',
    summary: 'show natgw configuration',
    helperVariable: 'CTDB_NATGW_HELPER',
    helperLabel: 'NAT gateway helper',
  },
  {
    kind: 'lvs',
    summary: 'show lvs configuration',
    helperVariable: 'CTDB_LVS_HELPER',
    helperLabel: 'LVS helper',
  },
];

const ARGS = 'leader|list|status';
const EINTR = constants.errno.EINTR;

function errnoNumber(code: unknown): number {
  const n = typeof code === 'string' ? constants.errno[code as keyof typeof constants.errno] : 0;
  return typeof n === 'number' && n > 0 ? n : constants.errno.ENOEXEC;
}

/** Execs an external helper and maps its status the way CTDB's run_helper() does. */
function execHelper(
  spec: GroupCommandSpec,
  path: string,
  args: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      ctx.io.out(s);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      ctx.io.err(s);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const errno = errnoNumber(err.code);
      ctx.io.err(`${spec.helperLabel} failed with error ${errno}\n`);
      resolve(errno);
    });
    child.on('close', (code, signal) => {
      if (signal !== null) {
        ctx.io.err(`${spec.helperLabel} terminated with signal ${constants.signals[signal]}\n`);
        resolve(EINTR);
      } else if (code !== null && code >= 64 && code < 255) {
        // The convention of CTDB's helpers: 64 + errno means "could not run".
        ctx.io.err(`${spec.helperLabel} failed with error ${code - 64}\n`);
        resolve(code - 64);
      } else {
        resolve(code ?? 1);
      }
    });
  });
}

function commandUsage(name: string, summary: string): string {
  return [
    'Usage: ctdb [OPTION...] <command> [<args>]',
    '',
    'Commands:',
    `  ${name.padEnd(15)} ${ARGS.padEnd(27)}  ${summary}`,
    '',
  ].join('\n');
}

function groupCommand(spec: GroupCommandSpec): Command {
  return {
    name: spec.kind,
    args: ARGS,
    summary: spec.summary,
    localOnly: true,
    run(args, ctx) {
      if (args.length !== 1) {
        ctx.io.out(commandUsage(spec.kind, spec.summary));
        return Promise.resolve(1);
      }
      const helper = ctx.env[spec.helperVariable];
      if (helper !== undefined) return execHelper(spec, helper, args, ctx);
      return runGroupHelper(spec.kind, args, ctx.io, {
        env: ctx.env,
        timeoutMs: ctx.options.maxRuntime * 1000,
      });
    },
  };
}

export const commands: readonly Command[] = SPECS.map(groupCommand);
