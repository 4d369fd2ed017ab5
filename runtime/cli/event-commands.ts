// `ctdb event …`, `ctdb scriptstatus [EVENT]`, and the older `ctdb enablescript SCRIPT` /
// `ctdb disablescript SCRIPT` (component legacy). CTDB 4.17's ctdb execs the ctdb-event helper
// and maps a helper exit of 64..254 to n-64 with a message on stderr; we run the same code
// in-process (or exec $CTDB_EVENT_HELPER when set, as ctdb does) and keep that behaviour.
import { spawn } from 'node:child_process';
import { eventTool } from '../eventd/tool.js';
import type { CliIo, Command } from './types.js';

/** How a helper's exit is reported by ctdb's run_helper. */
function helperExit(code: number, io: CliIo): number {
  if (code >= 64 && code < 255) {
    io.err(`event daemon helper failed with error ${code - 64}\n`);
    return code - 64;
  }
  return code;
}

async function runEventHelper(
  args: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const helper = env.CTDB_EVENT_HELPER;
  if (helper === undefined) return helperExit((await eventTool(args, io, env)) & 0xff, io);
  return new Promise((resolve) => {
    const child = spawn(helper, args, { env, stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => io.out(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => io.err(c.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) => resolve(-(err.errno ?? -1)));
    child.on('close', (code, signal) => {
      if (signal !== null) {
        io.err(`event daemon helper terminated with signal ${signal}\n`);
        resolve(4);
      } else resolve(helperExit(code ?? 1, io));
    });
  });
}

const SCRIPTSTATUS_ARGS = '[init|setup|startup|monitor|takeip|releaseip|ipreallocated]';

function commandUsage(name: string, args: string, msg: string): string {
  return (
    'Usage: [-?YXv] [-?|--help] [--usage] [-d|--debug=STRING]\n' +
    '        [-t|--timelimit=INT] [-n|--node=INT] [-Y] [-x|--separator=CHAR]\n' +
    '        [-X] [-v|--verbose] [-T|--maxruntime=INT]\n\n' +
    'Commands:\n' +
    `  ${name.padEnd(15)} ${args.padEnd(27)}  ${msg}\n`
  );
}

export const commands: readonly Command[] = [
  {
    name: 'event',
    args: '',
    summary: 'event and event script commands',
    localOnly: true,
    run: (args, ctx) => runEventHelper(args, ctx.io, ctx.env),
  },
  {
    name: 'scriptstatus',
    args: SCRIPTSTATUS_ARGS,
    summary: 'show event script status',
    localOnly: true,
    async run(args, ctx) {
      if (args.length > 1) {
        ctx.io.out(commandUsage('scriptstatus', SCRIPTSTATUS_ARGS, 'show event script status'));
        return 1;
      }
      await runEventHelper(['status', 'legacy', args[0] ?? 'monitor'], ctx.io, ctx.env);
      return 0;
    },
  },
  {
    name: 'enablescript',
    args: '<script>',
    summary: 'enable an eventscript (ctdb event script enable legacy <script>)',
    localOnly: true,
    run(args, ctx) {
      if (args.length !== 1) {
        ctx.io.out(commandUsage('enablescript', '<script>', 'enable an eventscript'));
        return Promise.resolve(1);
      }
      return runEventHelper(['script', 'enable', 'legacy', args[0]!], ctx.io, ctx.env);
    },
  },
  {
    name: 'disablescript',
    args: '<script>',
    summary: 'disable an eventscript (ctdb event script disable legacy <script>)',
    localOnly: true,
    run(args, ctx) {
      if (args.length !== 1) {
        ctx.io.out(commandUsage('disablescript', '<script>', 'disable an eventscript'));
        return Promise.resolve(1);
      }
      return runEventHelper(['script', 'disable', 'legacy', args[0]!], ctx.io, ctx.env);
    },
  },
];
