#!/usr/bin/env node
// `ctdbd`: the CTDB daemon. Loads ctdb.conf, the nodes file and ctdb.tunables (any error stops
// start-up with a message naming the file, line and key), forks into the background unless
// `-i`, picks this node's PNN by binding its address, starts the event daemon and runs the
// start-up sequence. In CTDB_TEST_MODE it exits when its stdin closes, as CTDB does.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterLockSettingError, parseClusterLockSetting } from '../runtime/cluster-lock/index.js';
import { ConfigErrors } from '../runtime/config/errors.js';
import { loadCtdbConf } from '../runtime/config/ctdb-conf.js';
import { loadNodesFile } from '../runtime/config/nodes-file.js';
import { loadTunablesFile } from '../runtime/config/tunables-file.js';
import { socketInUse } from '../runtime/daemon/clients.js';
import { Ctdbd } from '../runtime/daemon/ctdbd.js';
import {
  EventdChild,
  HostedEventd,
  NoEventRunner,
  eventdAvailable,
  type EventRunner,
} from '../runtime/daemon/eventd.js';
import { prepareHelperBinDir } from '../runtime/daemon/helper-bindir.js';
import { createLogger } from '../runtime/logging/index.js';
import { ctdbPaths, nativeProgram, pidFilePath, socketPath } from '../runtime/paths/index.js';
import { daemonNotifier } from '../runtime/notification/index.js';
import { Tunables } from '../runtime/tunables/store.js';
import { CTDB_PORT, bindFirst } from '../runtime/transport/tcp.js';

const USAGE = `Usage: ctdbd [OPTION...]
  -i, --interactive     don't fork, log to stderr
  -?, --help            Show this help message
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<void> {
  let interactive = false;
  for (const a of argv) {
    if (a === '-i' || a === '--interactive') interactive = true;
    else if (a === '-?' || a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return;
    } else fail(`ctdbd: unknown option ${a}\n${USAGE}`);
  }

  let paths;
  try {
    paths = ctdbPaths(process.env);
  } catch (err) {
    fail((err as Error).message);
  }
  const confFile = join(paths.etcDir, 'ctdb.conf');
  const nodesFile = join(paths.etcDir, 'nodes');
  const tunablesFile = join(paths.etcDir, 'ctdb.tunables');
  let config;
  let nodes;
  const tunables = new Tunables();
  try {
    config = loadCtdbConf(confFile);
    nodes = loadNodesFile(nodesFile);
    for (const t of loadTunablesFile(tunablesFile)) tunables.set(t.name, t.value);
    // Checked here, so a bad setting stops start-up like any other configuration error.
    if (config.cluster.clusterLock !== undefined)
      parseClusterLockSetting(config.cluster.clusterLock);
  } catch (err) {
    if (err instanceof ConfigErrors) fail(`ctdbd: configuration error:\n${err.message}`);
    if (err instanceof ClusterLockSettingError)
      fail(`ctdbd: configuration error:\n${confFile}: [cluster] ${err.message}`);
    throw err;
  }

  // The background copy runs the same command line with this variable set.
  if (!interactive && process.env.CTDBD_BACKGROUND === undefined) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio: ['inherit', 'ignore', 'ignore'],
      env: { ...process.env, CTDBD_BACKGROUND: '1' },
    });
    child.unref();
    return;
  }

  const logTo = {
    location: interactive ? 'stderr' : config.logging.location,
    level: config.logging.logLevel,
    fallbackFile: join(paths.varDir, 'log.ctdb'),
  };
  const log = createLogger({ ...logTo, name: 'ctdbd' });
  const eventdLog = createLogger({ ...logTo, name: 'ctdb-eventd' });
  // As CTDB's ctdbd: SIGHUP reopens the logs (logrotate), SIGUSR1 is ignored. Node's default
  // for both would end the process.
  process.on('SIGHUP', () => {
    log.reopen();
    eventdLog.reopen();
    log.notice('Reopened logs');
  });
  process.on('SIGUSR1', () => undefined);
  const sock = socketPath('ctdbd', process.env);
  mkdirSync(paths.runDir, { recursive: true });
  if (await socketInUse(sock)) fail(`ctdbd: already running (socket ${sock} is in use)`);

  // Eventscripts run CTDB's helpers from $CTDB_HELPER_BINDIR: ours, unless the admin says.
  if (process.env.CTDB_HELPER_BINDIR === undefined || process.env.CTDB_HELPER_BINDIR === '')
    process.env.CTDB_HELPER_BINDIR = prepareHelperBinDir(join(paths.runDir, 'helpers'));
  // CTDB's shell functions run "$CTDB" (default /usr/bin/ctdb): our front end when it is built,
  // which has this daemon run the command rather than start a process that talks to it.
  const frontEnd = nativeProgram('ctdb');
  if ((process.env.CTDB ?? '') === '' && frontEnd !== undefined) process.env.CTDB = frontEnd;

  // The event daemon starts while we find our address: both take a while. It runs inside this
  // process unless CTDBD_EVENTD_PROCESS asks for CTDB's separate ctdb-eventd process.
  const running: { daemon?: Ctdbd } = {};
  const separateEventd = (process.env.CTDBD_EVENTD_PROCESS ?? '') !== '';
  const eventsReady: Promise<EventRunner> = !separateEventd
    ? HostedEventd.start(log, eventdLog)
    : eventdAvailable()
      ? EventdChild.start(log, () => {
          // Set once the daemon exists; eventd may go away before that.
          if (running.daemon !== undefined) running.daemon.abort(1);
          else process.exit(1);
        })
      : Promise.resolve(new NoEventRunner());
  // Handled below, after binding; this only keeps an early failure from counting as unhandled.
  eventsReady.catch(() => undefined);

  const candidates = nodes
    .filter((n) => !n.deleted)
    .filter(
      (n) => config.cluster.nodeAddress === undefined || n.address === config.cluster.nodeAddress,
    );
  if (config.cluster.nodeAddress !== undefined && candidates.length === 0)
    fail(`ctdbd: node address ${config.cluster.nodeAddress} is not in ${nodesFile}`);
  const bound = await bindFirst(candidates, CTDB_PORT);
  if (bound === undefined)
    fail(`ctdbd: no address from ${nodesFile} can be bound on this host (port ${CTDB_PORT})`);
  log.notice(`PNN is ${bound.pnn}`);

  writeFileSync(pidFilePath('ctdbd', process.env), `${process.pid}\n`);

  let events: EventRunner;
  try {
    events = await eventsReady;
  } catch (err) {
    log.error((err as Error).message);
    fail(`ctdbd: ${(err as Error).message}`);
  }
  if (events instanceof NoEventRunner)
    log.warning('ctdb-eventd is not available; events succeed without running scripts');

  const daemon = new Ctdbd({
    config,
    nodes,
    nodesFile,
    publicAddressesFile: join(paths.etcDir, 'public_addresses'),
    tunables,
    socketPath: sock,
    log,
    fastStart: paths.testMode,
    port: CTDB_PORT,
    listener: bound.server,
    pnn: bound.pnn,
    events,
    notify: daemonNotifier(
      paths.etcDir,
      {
        error: (o, m) => log.error(m, { ...o }),
        warn: (o, m) => log.warning(m, { ...o }),
        info: (o, m) => log.info(m, { ...o }),
        debug: (o, m) => log.debug(m, { ...o }),
      },
      process.env,
    ),
    exit: (code) => {
      // Let pino flush, then go.
      setTimeout(() => process.exit(code), 50);
    },
  });
  running.daemon = daemon;
  // Last resort: a bug reached by some input is logged, and the daemon keeps serving.
  process.on('uncaughtException', (err) => {
    log.error(`Unexpected error: ${err.stack ?? err.message}`);
  });

  if (paths.testMode) {
    const d = daemon;
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', () => {
      log.notice('stdin closed - exiting (test mode)');
      d.abort(0);
    });
    process.stdin.on('error', () => d.abort(0));
  }

  try {
    await daemon.start();
  } catch (err) {
    log.error((err as Error).message);
    process.stderr.write(`ctdbd: ${(err as Error).message}\n`);
    daemon.abort(1);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `ctdbd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
