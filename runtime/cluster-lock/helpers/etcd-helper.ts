// ctdb_etcd_lock [-c FILE] [-v|-vv|-vvv]: the cluster mutex held in etcd v3.
//
// The lock is the key /_locks/{locks_dir}/{name}, created only if absent (a transaction on its
// create revision) and attached to a lease of lock_ttl seconds that this helper refreshes every
// `refresh` seconds. Status: '0' held, '1' someone else holds the key, '3' anything else (etcd
// unreachable, bad configuration). After '0' the helper keeps the lease alive until:
//   - SIGTERM, or its parent's death (seen at once): it revokes the lease, which deletes the key
//     so another node can take the lock immediately, and exits;
//   - the lock is lost: etcd says the lease is gone, the key was deleted or re-created, or no
//     refresh has succeeded for lock_ttl - refresh seconds (so we stop claiming the lock before
//     etcd can give it to someone else). It exits; the parent sees EOF = lock lost.
//
// The lock name is `name` from the config file if given, else Samba's netbios name from
// `testparm -s --parameter-name 'netbios name'` (as the original helper did), else `ctdb`.
// Every node of a cluster must arrive at the same name: set `name` when in doubt.
import { execFile } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { Etcd3, type IOptions, type Lease } from 'etcd3';
import { HelperConfigError, HelperUsageError } from '../errors.js';
import { watchParent } from '../parent-watch.js';
import { MutexStatus } from '../status.js';
import { etcdEndpoints, loadEtcdConfig, type EtcdLockConfig } from './etcd-config.js';
import { ignoreBrokenPipes, stderrLog, writeStatus, type HelperLog } from './helper-io.js';

export const ETCD_HELPER_NAME = 'ctdb_etcd_lock';

const usage = `Usage: ${ETCD_HELPER_NAME} [-c FILE] [-v|-vv|-vvv]`;

export interface EtcdHelperArgs {
  configFile: string;
  /** Whether -c named the file (then it must exist). */
  configGiven: boolean;
  verbosity: number;
}

export function parseEtcdHelperArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): EtcdHelperArgs {
  let configFile: string | undefined;
  let verbosity = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') {
      const v = argv[++i];
      if (v === undefined) throw new HelperUsageError(`${a} needs a file name`, usage);
      configFile = v;
    } else if (a.startsWith('--config=')) {
      configFile = a.slice('--config='.length);
    } else if (/^-v+$/.test(a)) {
      verbosity += a.length - 1;
    } else if (a === '--verbose') {
      verbosity++;
    } else {
      throw new HelperUsageError(`unknown argument '${a}'`, usage);
    }
  }
  return {
    configFile: configFile ?? join(env.CTDB_BASE ?? '/etc/ctdb', 'etcd'),
    configGiven: configFile !== undefined,
    verbosity,
  };
}

/** The lock name: config `name`, else the netbios name from testparm, else `ctdb`. */
export async function lockName(config: EtcdLockConfig, log: HelperLog): Promise<string> {
  if (config.name !== undefined) return config.name;
  const fromTestparm = await new Promise<string | undefined>((resolve) => {
    execFile(
      'testparm',
      ['-s', '--parameter-name', 'netbios name'],
      { timeout: 5000 },
      (err, stdout) => resolve(err === null ? stdout.trim().split('\n')[0]?.trim() : undefined),
    );
  });
  if (fromTestparm !== undefined && fromTestparm !== '') return fromTestparm;
  log.info("no netbios name from testparm; using the lock name 'ctdb'");
  return 'ctdb';
}

export function lockKey(config: EtcdLockConfig, name: string): string {
  return `/_locks/${config.locksDir}/${name}`;
}

function clientOptions(config: EtcdLockConfig): IOptions {
  const ms = config.requestTimeout * 1000;
  const options: IOptions = {
    hosts: etcdEndpoints(config),
    dialTimeout: ms,
    defaultCallOptions: () => ({ deadline: Date.now() + ms }),
  };
  // https endpoints alone use the system CAs (the client sees the scheme); explicit files
  // replace them, and a client certificate without a CA file keeps the system CAs.
  if (config.caCert !== undefined || config.cert !== undefined) {
    options.credentials = {
      rootCertificate:
        config.caCert !== undefined
          ? readFileSync(config.caCert)
          : Buffer.from(rootCertificates.join('\n')),
      ...(config.key !== undefined ? { privateKey: readFileSync(config.key) } : {}),
      ...(config.cert !== undefined ? { certChain: readFileSync(config.cert) } : {}),
    };
  }
  if (config.username !== undefined)
    options.auth = { username: config.username, password: config.password ?? '' };
  return options;
}

/** Rejects after `ms` if `p` has not settled: no etcd call may hang the helper. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from etcd in ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function closeStdout(): void {
  try {
    closeSync(1);
  } catch {
    // already closed
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs the helper; returns the exit code (ignored by CTDB; the status byte is what counts). */
export async function runEtcdHelper(argv: readonly string[]): Promise<number> {
  ignoreBrokenPipes();
  let args: EtcdHelperArgs;
  try {
    args = parseEtcdHelperArgs(argv);
  } catch (err) {
    stderrLog(ETCD_HELPER_NAME, 0).error((err as Error).message);
    writeStatus(MutexStatus.Error);
    return 1;
  }
  const log = stderrLog(ETCD_HELPER_NAME, args.verbosity);
  let config: EtcdLockConfig;
  try {
    config = loadEtcdConfig(args.configFile, args.configGiven);
  } catch (err) {
    log.error(err instanceof HelperConfigError ? err.message : describe(err));
    writeStatus(MutexStatus.Error);
    return 1;
  }
  const ppid = process.ppid;
  // SIGTERM or the parent's death while the lock is being taken: finish taking it (so the
  // lease can be revoked rather than left to expire), then release and exit.
  let stopReason: string | undefined;
  let onStop = (why: string): void => void (stopReason ??= why);
  const stopOnSignal = (): void => onStop('');
  process.on('SIGTERM', stopOnSignal);
  process.on('SIGINT', stopOnSignal);
  const parent = watchParent(
    (reason) => onStop(reason === 'parent is init' ? 'parent == 1' : 'parent gone'),
    ppid,
  );
  const name = await lockName(config, log);
  const key = lockKey(config, name);
  const callMs = config.requestTimeout * 1000;
  log.debug(
    `endpoints ${etcdEndpoints(config).join(',')}, key ${key}, ttl ${config.lockTtl}s, refresh ${config.refresh}s`,
  );

  let client: Etcd3;
  try {
    client = new Etcd3(clientOptions(config));
  } catch (err) {
    log.error(`cannot set up the etcd client: ${describe(err)}`);
    writeStatus(MutexStatus.Error);
    parent.stop();
    return 1;
  }
  const lease: Lease = client.lease(config.lockTtl, { autoKeepAlive: false });
  lease.on('lost', () => undefined); // loss is detected by our own rule below
  const revoke = async (): Promise<void> => {
    try {
      await within(lease.revoke(), Math.max(callMs, 3000), 'revoke');
    } catch (err) {
      log.warning(`could not revoke the lease (it expires by itself): ${describe(err)}`);
    }
  };

  // Take the lock.
  let leaseId: string;
  const grantSentAt = Date.now();
  try {
    leaseId = await within(lease.grant(), callMs, 'lease grant');
    const value = `${hostname()} pid=${process.pid}`;
    const res = await within(
      client.if(key, 'Create', '==', 0).then(client.put(key).value(value).lease(leaseId)).commit(),
      callMs,
      'lock transaction',
    );
    if (!res.succeeded) {
      const holder = await within(client.get(key).string(), callMs, 'get').catch(() => null);
      log.debug(`lock contention on ${key}: held by ${holder ?? 'unknown'}`);
      await revoke();
      writeStatus(MutexStatus.Contended);
      client.close();
      parent.stop();
      return 0;
    }
    log.info(`took ${key} with lease ${leaseId} in ${Date.now() - grantSentAt} ms`);
  } catch (err) {
    log.error(`cannot take ${key}: ${describe(err)}`);
    await revoke();
    writeStatus(MutexStatus.Error);
    client.close();
    parent.stop();
    return 1;
  }
  if (stopReason !== undefined || !writeStatus(MutexStatus.Held)) {
    if (stopReason) log.error(stopReason);
    await revoke();
    client.close();
    parent.stop();
    return 0;
  }

  // Hold it.
  return new Promise<number>((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    // The loss deadline runs on its own timer, so a hanging etcd call cannot delay it. The
    // lease lives at least lock_ttl from when the last confirmed request was *sent*; we give
    // up one refresh interval before that.
    let confirmedAt = grantSentAt;
    const lossAfterMs = (config.lockTtl - config.refresh) * 1000;
    let lossTimer: NodeJS.Timeout | undefined;
    const armLossTimer = (): void => {
      if (lossTimer !== undefined) clearTimeout(lossTimer);
      lossTimer = setTimeout(
        () =>
          void finish(
            `lock lost - no refresh confirmed for ${Date.now() - confirmedAt} ms`,
            true,
            1,
          ),
        Math.max(0, confirmedAt + lossAfterMs - Date.now()),
      );
    };
    const finish = async (
      why: string | undefined,
      release: boolean,
      code: number,
    ): Promise<void> => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      if (lossTimer !== undefined) clearTimeout(lossTimer);
      parent.stop();
      if (why !== undefined) log.error(why);
      // A loss is reported at once: closing stdout is the EOF the parent waits for, even if
      // revoking the lease below has to wait for an etcd that is not answering.
      if (code !== 0) closeStdout();
      if (release) await revoke();
      client.close();
      resolve(code);
    };
    onStop = (why) => void finish(why === '' ? undefined : why, true, 0);
    const refresh = async (): Promise<void> => {
      const sentAt = Date.now();
      try {
        const ka = await within(lease.keepaliveOnce(), callMs, 'keepalive');
        if (Number(ka.TTL) <= 0) throw new Error('lease expired');
        const kv = await within(client.get(key).exec(), callMs, 'get');
        const current = kv.kvs[0];
        if (current === undefined) {
          await finish(`lock lost - ${key} was deleted`, true, 1);
          return;
        }
        if (current.lease !== leaseId) {
          await finish(`lock lost - ${key} now belongs to lease ${current.lease}`, true, 1);
          return;
        }
        confirmedAt = sentAt;
        armLossTimer();
        log.debug(`refreshed lease ${leaseId}`);
      } catch (err) {
        const message = describe(err);
        if (/expired or revoked|lease expired|requested lease not found/i.test(message)) {
          await finish(`lock lost - lease ${leaseId} expired`, false, 1);
          return;
        }
        log.warning(`refresh failed: ${message}`);
      }
      if (!done) timer = setTimeout(() => void refresh(), config.refresh * 1000);
    };
    armLossTimer();
    timer = setTimeout(() => void refresh(), config.refresh * 1000);
  });
}
