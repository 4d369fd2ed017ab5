// The event daemon's life: read the config, write the pidfile, listen on
// `<rundir>/eventd.socket`, tell the parent we are up (`-S fd`: a native unsigned int 0), watch
// the parent (`-P pid`: checked after 1 s, then every 5 s), and on SIGTERM/SIGINT stop,
// killing the process groups of scripts still running (hung ones included).
import { mkdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readEventdConfig } from './config.js';
import { HungScriptDebugger } from './debug-script.js';
import { killGroup, liveGroups } from './exec-runner.js';
import { createEventdLog, type EventdLog } from './log.js';
import { eventdPaths, pidfilePath, socketPath, type EventdPaths } from './paths.js';
import { EventdServer } from './server.js';
import { TsPool } from './ts-pool.js';
import { anyTypeScriptScript } from './script-runner.js';
import { ForkServer } from './fork-server.js';

export interface EventdOptions {
  /** Exit when this process is gone. */
  readonly parentPid?: number | undefined;
  /** Write a native unsigned int 0 here once listening. */
  readonly startupFd?: number | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly paths?: EventdPaths;
  readonly log?: EventdLog;
  /**
   * Hosted inside another daemon (ctdbd): leave the process's signals and pidfile to the host.
   * Standalone, SIGTERM/SIGINT stop the event daemon and the pidfile names this process.
   */
  readonly hosted?: boolean;
}

export interface RunningEventd {
  readonly paths: EventdPaths;
  readonly socket: string;
  /** Stops everything; resolves when done. */
  stop(reason: string): void;
  readonly stopped: Promise<void>;
}

function logFor(env: NodeJS.ProcessEnv, level: string, location: string | undefined): EventdLog {
  if (env.CTDB_INTERACTIVE !== undefined) return createEventdLog('NOTICE', 2);
  if (location?.startsWith('file:') === true && location.length > 'file:'.length)
    return createEventdLog(level, location.slice('file:'.length));
  return createEventdLog(level, 2);
}

export async function startEventd(opts: EventdOptions = {}): Promise<RunningEventd> {
  const env = opts.env ?? process.env;
  const hosted = opts.hosted === true;
  const paths = opts.paths ?? eventdPaths(env);
  const config = readEventdConfig(paths.etcDir);
  const log = opts.log ?? logFor(env, config.logLevel, config.logLocation);
  // The TypeScript worker (a V8 isolate with the TypeScript loader) costs tens of MB: it starts
  // only when a component has an enabled TypeScript script — now, if one is there already,
  // else when a run first meets one — and then stays warm.
  const pool = new TsPool(
    2,
    (live) => log.info(`Started a TypeScript eventscript worker (${live} running)`),
    (path) => log.info(`Started the TypeScript loader in an eventscript worker for ${path}`),
  );
  if (anyTypeScriptScript(join(paths.etcDir, 'events'))) pool.warm();
  const forks = env.CTDB_TS_EVENTD_NO_FORK_SERVER === undefined ? new ForkServer(env) : undefined;
  const server = new EventdServer(paths, {
    runners:
      forks === undefined
        ? { outputDir: paths.runDir, pool }
        : { outputDir: paths.runDir, pool, forks },
    log,
    debugger: new HungScriptDebugger(config.debugScript, log),
    env,
  });
  mkdirSync(paths.runDir, { recursive: true });
  const sock = socketPath(paths);
  rmSync(sock, { force: true });
  await server.listen(sock);
  const pidfile = pidfilePath(paths);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let parentTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    log.notice(`Shutting down: ${reason}`);
    clearTimeout(parentTimer);
    if (!hosted) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHup);
      process.off('SIGUSR1', onUsr1);
    }
    server.close();
    pool.close();
    forks?.close();
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
    liveGroups.clear();
    rmSync(sock, { force: true });
    if (!hosted) rmSync(pidfile, { force: true });
    resolveStopped();
  };
  const onSignal = (sig: NodeJS.Signals): void => stop(`received ${sig}`);
  // SIGHUP (reopen logs) and SIGUSR1 (reload config) must not end the daemon. Our logs are
  // written synchronously to a descriptor or reopened per line, and the only setting that
  // matters (the debug script) is, as in CTDB, read once at startup; a reload only checks it.
  const onHup = (): void => log.notice('Reopening logs (nothing to do)');
  const onUsr1 = (): void => {
    try {
      readEventdConfig(paths.etcDir);
      log.notice('Configuration reloaded');
    } catch (err) {
      log.warning(`Failed to reload configuration: ${(err as Error).message}`);
    }
  };
  if (!hosted) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHup);
    process.on('SIGUSR1', onUsr1);
    // The pidfile says "up": written only once a SIGTERM would be handled (a signal arriving
    // before that would end the process without cleaning up).
    writeFileSync(pidfile, `${process.pid}\n`);
  }
  log.notice(`daemon started, pid=${process.pid}`);

  if (opts.parentPid !== undefined) {
    const parent = opts.parentPid;
    const check = (): void => {
      try {
        process.kill(parent, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
          log.error(`PID ${parent} gone away, exiting`);
          stop('parent gone');
          return;
        }
      }
      parentTimer = setTimeout(check, 5000);
    };
    parentTimer = setTimeout(check, 1000);
  }

  log.notice('startup completed successfully');
  if (opts.startupFd !== undefined) {
    try {
      // The descriptor stays open for our lifetime: the parent reads its end closing (our exit)
      // as "eventd went away", as CTDB's ctdbd does.
      writeSync(opts.startupFd, Buffer.alloc(4));
    } catch (err) {
      log.error(`failed to notify startup on fd ${opts.startupFd}: ${String(err)}`);
    }
  }
  log.notice(`listening on ${sock}`);
  return { paths, socket: sock, stop, stopped };
}
