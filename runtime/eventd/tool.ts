// The `ctdb-event` tool (CTDB 4.17 syntax, messages and exit codes): run, status,
// script list|enable|disable. `run` and `status` talk to the daemon; the script commands
// work on the files directly, as CTDB's tool does. Shared by tools/ctdb-event.ts and
// `ctdb event …`.
import { EventdClient } from './client.js';
import { Errno } from './errno.js';
import { commandUsage, fullUsage, statusLine } from './format.js';
import { componentDataDir, componentEtcDir, eventdPaths, socketPath } from './paths.js';
import { disableScript, enableScript, listScripts } from './script-admin.js';

export interface ToolIo {
  out(text: string): void;
  err(text: string): void;
}

const LEVELS = ['ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/** Splits options (anywhere on the line, as popt does) from words. Returns an exit code on error. */
function parseOptions(
  argv: readonly string[],
  io: ToolIo,
): { words: string[]; level: number } | number {
  const words: string[] = [];
  let level = 0;
  const setLevel = (v: string): void => {
    const i = LEVELS.indexOf(v.toUpperCase());
    level = i === -1 ? 0 : i;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      words.push(a);
      continue;
    }
    if (a === '-h' || a === '--help') {
      io.out(fullUsage() + fullUsage());
      return 1;
    }
    if (a === '-d' || a === '--debug') {
      const v = argv[++i];
      if (v === undefined) {
        io.err(`Invalid option ${a}: missing argument\n`);
        io.out(fullUsage() + fullUsage());
        return 1;
      }
      setLevel(v);
      continue;
    }
    if (a.startsWith('--debug=')) {
      setLevel(a.slice('--debug='.length));
      continue;
    }
    if (a.startsWith('-d')) {
      setLevel(a.slice(2));
      continue;
    }
    io.err(`Invalid option ${a}: unknown option\n`);
    io.out(fullUsage() + fullUsage());
    return 1;
  }
  return { words, level };
}

async function connectOrFail(env: NodeJS.ProcessEnv, io: ToolIo): Promise<EventdClient | number> {
  const path = socketPath(eventdPaths(env));
  try {
    return await EventdClient.connect(path);
  } catch {
    io.err(`socket connect failed - ${path}\n`);
    io.err(`Failed to initialize event client, ret=${Errno.EIO}\n`);
    return Errno.EIO;
  }
}

export async function eventTool(
  argv: readonly string[],
  io: ToolIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const parsed = parseOptions(argv, io);
  if (typeof parsed === 'number') return parsed;
  const { words, level } = parsed;
  const notice = (msg: string): void => {
    if (level >= 2) io.err(`${msg}\n`);
  };
  const [w0, w1, ...rest] = words;
  const paths = eventdPaths(env);

  if (w0 === 'run') {
    const args = words.slice(1);
    if (args.length < 3) {
      io.out(commandUsage('run'));
      return 1;
    }
    const client = await connectOrFail(env, io);
    if (typeof client === 'number') return client;
    const timeout = Math.max(0, atoi(args[0]!));
    const [component, event] = [args[1]!, args[2]!];
    const argStr = args.length > 3 ? args.slice(3).join(' ') : null;
    const runAll = env.CTDB_TEST_MODE !== undefined && env.CTDB_EVENT_RUN_ALL !== undefined;
    let result: number;
    try {
      result = await client.run(component, event, argStr, timeout, { runAll });
    } catch {
      io.err(`Failed to run event ${event} in ${component}, ret=${Errno.EIO}\n`);
      return 1;
    } finally {
      client.close();
    }
    notice(`Command run finished with result=${result}`);
    if (result === Errno.ENOENT) io.out(`Event dir for ${component} does not exist\n`);
    else if (result === Errno.ETIMEDOUT) io.out(`Event ${event} in ${component} timed out\n`);
    else if (result === Errno.ECANCELED) io.out(`Event ${event} in ${component} got cancelled\n`);
    else if (result === Errno.ENOEXEC) io.out(`Event ${event} in ${component} failed\n`);
    else if (result !== 0)
      io.out(`Failed to run event ${event} in ${component}, result=${result}\n`);
    return Math.abs(result);
  }

  if (w0 === 'status') {
    const args = words.slice(1);
    if (args.length !== 2) {
      io.out(commandUsage('status'));
      return 1;
    }
    const client = await connectOrFail(env, io);
    if (typeof client === 'number') return client;
    const [component, event] = [args[0]!, args[1]!];
    let reply;
    try {
      reply = await client.status(component, event);
    } catch {
      io.err(`Failed to get status for event ${event} in ${component}, ret=${Errno.EIO}\n`);
      return 1;
    } finally {
      client.close();
    }
    notice(`Command status finished with result=${reply.result}`);
    if (reply.result !== 0 || reply.status === undefined) {
      if (reply.result === Errno.ENOENT) io.out(`Event dir for ${component} does not exist\n`);
      else if (reply.result === Errno.EINVAL)
        io.out(`Event ${event} has never run in ${component}\n`);
      else io.out(`Unknown error (${reply.result}) for event ${event} in ${component}\n`);
      return reply.result;
    }
    io.out(reply.status.scripts.map(statusLine).join(''));
    return Math.abs(reply.status.summary);
  }

  if (w0 === 'script' && w1 === 'list') {
    if (rest.length !== 1) {
      io.out(commandUsage('script list'));
      return 1;
    }
    const c = rest[0]!;
    const r = listScripts(componentEtcDir(paths, c), componentDataDir(paths, c));
    io.out(r.stdout);
    io.err(r.stderr);
    if (r.code === 0) notice('Command script list finished with result=0');
    return r.code;
  }

  if (w0 === 'script' && (w1 === 'enable' || w1 === 'disable')) {
    if (rest.length !== 2) {
      io.out(commandUsage(`script ${w1}`));
      return 1;
    }
    const [c, s] = [rest[0]!, rest[1]!];
    const etc = componentEtcDir(paths, c);
    const r =
      w1 === 'enable'
        ? enableScript(etc, componentDataDir(paths, c), c, s)
        : disableScript(etc, c, s);
    io.out(r.stdout);
    return r.code;
  }

  io.out(fullUsage() + fullUsage());
  return 1;
}

/** C's atoi: leading blanks, optional sign, digits; anything else stops (0 if none). */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1]!, 10);
}
