// The resident `ctdb` command service: a Unix socket inside ctdbd on which the C front end
// (lib/native/ctdb_front.c) hands over one command line per connection and gets the command's
// output and exit status back (wire format: service-wire.ts). A Node process costs ~100 ms of
// start-up here; running the command in the daemon that is already up costs a few ms.
//
// Only commands that are safe inside the daemon are served: they talk to daemons over sockets
// and nothing else — no stdin, no child processes, no process-wide state (cwd, umask, signals,
// exit). Everything else (other commands, option errors, help) is answered FALLBACK and the
// front end runs the bundled tool itself, so the output is the tool's in every case.
//
// The CLI code is imported on the first request, not at daemon start: an idle ctdbd whose
// `ctdb` is never run pays nothing for it.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { isAbsolute, normalize } from 'node:path';
import {
  BadRequestError,
  FrameType,
  cliServiceSocketPath,
  decodeRequest,
  encodeFrame,
  requestSize,
  type CliRequest,
} from './service-wire.js';
import type * as CliMain from './main.js';

/** Commands run inside the daemon; the rest are run by the front end's own tool process. */
export const SERVED_COMMANDS: ReadonlySet<string> = new Set([
  // node commands (node-commands.ts); not `shutdown`, which would stop the daemon serving it
  'version',
  'status',
  'nodestatus',
  'listnodes',
  'pnn',
  'uptime',
  'ping',
  'runstate',
  'getvar',
  'setvar',
  'listvars',
  'getcapabilities',
  'setleaderrole',
  'setlmasterrole',
  'disable',
  'enable',
  'stop',
  'continue',
  'ban',
  'unban',
  'getpid',
  'leader',
  'getdebug',
  'setdebug',
  'reloadnodes',
  'recover',
  'getreclock',
  // address commands that only talk to daemons (ip-commands.ts); not the tickle commands that
  // read stdin or open raw sockets, nor checktcpport (binds ports in this process)
  'ip',
  'ipinfo',
  'ifaces',
  'gettickles',
  'setifacelink',
  'ipreallocate',
]);

/** Concurrent commands beyond this are sent back to run themselves rather than queued. */
const MAX_RUNNING = 64;
/** A request must arrive whole within this time; a silent client is not kept forever. */
const REQUEST_TIMEOUT_MS = 10_000;
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface CliServiceLog {
  notice(msg: string): void;
  warning(msg: string): void;
}

export interface CliServiceOptions {
  /** ctdbd's own Unix socket; the service listens next to it (cliServiceSocketPath). */
  readonly ctdbdSocket: string;
  readonly log: CliServiceLog;
}

export interface CliService {
  readonly path: string;
  close(): void;
}

type CliModule = typeof CliMain;
let cliModule: Promise<CliModule> | undefined;

/** The CLI, loaded once on first use. */
function loadCli(): Promise<CliModule> {
  cliModule ??= import('./main.js');
  return cliModule;
}

/**
 * Starts the service. It never fails the daemon: if the socket cannot be created, the reason
 * is logged and a service that serves nothing is returned (front ends then run the tool).
 */
export async function startCliService(opts: CliServiceOptions): Promise<CliService> {
  const path = cliServiceSocketPath(opts.ctdbdSocket);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    opts.log.warning(`ctdb command service not started: socket path too long (${path})`);
    return { path, close: () => undefined };
  }
  const running = new Set<Socket>();
  const server = createServer((socket) => {
    serveConnection(socket, opts, running);
  });
  try {
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Root-only, like ctdbd's socket: the commands change cluster state.
    chmodSync(path, 0o600);
  } catch (err) {
    server.close();
    rmSync(path, { force: true });
    opts.log.warning(`ctdb command service not started: ${(err as Error).message}`);
    return { path, close: () => undefined };
  }
  server.on('error', (err) => {
    opts.log.warning(`ctdb command service: ${err.message}`);
  });
  opts.log.notice(`Listening to ctdb command socket ${path}`);
  return { path, close: () => closeService(server, path, running) };
}

function closeService(server: Server, path: string, running: Set<Socket>): void {
  server.close();
  for (const s of running) s.destroy();
  running.clear();
  rmSync(path, { force: true });
}

function serveConnection(socket: Socket, opts: CliServiceOptions, running: Set<Socket>): void {
  let buffered: Buffer = Buffer.alloc(0);
  let received = false;
  const timer = setTimeout(() => {
    fail('request timed out');
  }, REQUEST_TIMEOUT_MS);
  timer.unref();

  const fail = (reason: string): void => {
    clearTimeout(timer);
    if (socket.destroyed) return;
    opts.log.warning(`ctdb command service: bad request: ${reason}`);
    socket.end(encodeFrame(FrameType.ERROR, `${reason}\n`));
    // A client that does not read its error must not hold the connection open.
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  // A client that goes away or resets is routine (the command's caller was killed); the
  // command is stopped through the 'close' handler set up by runRequest.
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    if (received) return; // nothing more is expected; ignore rather than buffer
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let size: number | undefined;
    try {
      size = requestSize(buffered);
    } catch (err) {
      // Only BadRequestError is expected; anything else is still the request's fault.
      received = true;
      fail(err instanceof BadRequestError ? err.message : String(err));
      return;
    }
    if (size === undefined || buffered.length < size) return;
    received = true;
    clearTimeout(timer);
    let request: CliRequest;
    try {
      request = decodeRequest(buffered.subarray(0, size));
    } catch (err) {
      fail(err instanceof BadRequestError ? err.message : String(err));
      return;
    }
    buffered = Buffer.alloc(0);
    void runRequest(socket, request, opts, running);
  });
  socket.on('end', () => {
    if (!received) fail(buffered.length === 0 ? 'empty request' : 'truncated request');
  });
}

/** Why `request` must run in the caller's own process, or undefined if it can run here. */
async function fallbackReason(
  request: CliRequest,
  opts: CliServiceOptions,
  runningCount: number,
): Promise<string | undefined> {
  if (runningCount >= MAX_RUNNING) return 'busy';
  // Paths in the environment are the caller's: a relative one means something else here.
  const { env } = request;
  if (env.CTDB_BASE !== undefined && !isAbsolute(env.CTDB_BASE)) return 'relative CTDB_BASE';
  const cli = await loadCli();
  let parsed: ReturnType<CliModule['parseGlobalOptions']>;
  try {
    parsed = cli.parseGlobalOptions(request.argv, env);
  } catch {
    return 'option error';
  }
  if (parsed.kind !== 'run') return 'help';
  const name = parsed.words[0];
  if (name === undefined || !SERVED_COMMANDS.has(name)) return 'not served';
  // The command must reach this daemon, the one whose socket the front end derived ours from.
  const { ctdbdSocketPath } = await import('../client/socket-path.js');
  let target: string;
  try {
    target = ctdbdSocketPath(env);
  } catch {
    return 'no socket path';
  }
  if (!isAbsolute(target) || normalize(target) !== normalize(opts.ctdbdSocket)) {
    return 'another daemon';
  }
  return undefined;
}

async function runRequest(
  socket: Socket,
  request: CliRequest,
  opts: CliServiceOptions,
  running: Set<Socket>,
): Promise<void> {
  // Watch for the caller going away from the start: it may even leave while the CLI loads.
  const stop = new AbortController();
  socket.once('close', () => {
    running.delete(socket);
    stop.abort();
  });
  let why: string | undefined;
  try {
    why = await fallbackReason(request, opts, running.size);
  } catch (err) {
    why = `cannot load the CLI: ${(err as Error).message}`;
    opts.log.warning(`ctdb command service: ${why}`);
  }
  if (stop.signal.aborted) return;
  if (why !== undefined) {
    socket.end(encodeFrame(FrameType.FALLBACK));
    return;
  }
  running.add(socket);
  const send = (type: FrameType, text: string): void => {
    if (!socket.destroyed && socket.writable) socket.write(encodeFrame(type, text));
  };
  const io = {
    out: (text: string) => {
      send(FrameType.STDOUT, text);
    },
    err: (text: string) => {
      send(FrameType.STDERR, text);
    },
  };
  let code: number;
  try {
    const { main } = await loadCli();
    code = await main(request.argv, io, request.env, { signal: stop.signal });
  } catch (err) {
    // What tools/ctdb.ts prints for an unexpected failure; the daemon carries on.
    io.err(`ctdb: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  }
  running.delete(socket);
  if (socket.destroyed || !socket.writable) return;
  const payload = Buffer.alloc(4);
  payload.writeUInt32LE(code & 0xff, 0);
  socket.end(encodeFrame(FrameType.EXIT, payload));
}
