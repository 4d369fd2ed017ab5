// A real etcd server for tests: Debian's /usr/bin/etcd on 127.0.0.1 with random free ports
// and a temporary data directory, or inside a NetLab namespace on a given address. Started,
// waited for until healthy, stopped (SIGTERM, then SIGKILL), restarted on the same ports and
// data, and cleaned up by PID — also from an exit handler if a test forgets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabHost, LabProcess } from './netlab.js';

export const ETCD_BINARY = '/usr/bin/etcd';
export const ETCDCTL_BINARY = '/usr/bin/etcdctl';

/** Whether a real etcd can be started here; the reason if not (for `{ skip }`). */
export function etcdUnavailable(): string | undefined {
  if (!existsSync(ETCD_BINARY))
    return `${ETCD_BINARY} is not installed (Debian package etcd-server)`;
  if (!existsSync(ETCDCTL_BINARY))
    return `${ETCDCTL_BINARY} is not installed (Debian package etcd-client)`;
  return undefined;
}

/** A free TCP port on 127.0.0.1 (bound and released; the kernel will not reuse it at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port'));
      });
    });
  });
}

export interface EtcdOptions {
  /** Run inside this namespace (default: on the host's loopback). */
  host?: LabHost;
  /** Address to listen on (default 127.0.0.1). */
  address?: string;
  /** Client port (default: a free port on loopback, 2379 in a namespace). */
  clientPort?: number;
  /** Peer port (default: a free port on loopback, 2380 in a namespace). */
  peerPort?: number;
  /** How long to wait for health (default 20 s). */
  startTimeoutMs?: number;
  /** Serve clients over TLS and require client certificates signed by `ca` (PEM files). */
  tls?: { cert: string; key: string; ca: string; clientCert: string; clientKey: string };
}

/**
 * Makes a throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate
 * in `dir` (with openssl); returns the PEM file paths.
 */
export function makeTestCertificates(dir: string): {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
} {
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ctdb-ts test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  for (const [who, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    const extFile = f(`${who}.ext`);
    writeFileSync(extFile, `${ext}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      extFile,
      '-out',
      f(`${who}.pem`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

const live = new Set<EtcdServer>();
let exitHook = false;

export class EtcdServer {
  private proc: ChildProcess | LabProcess | undefined;
  private log = '';

  private constructor(
    private readonly opts: EtcdOptions,
    readonly address: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
  ) {}

  /** The client URL, e.g. http://127.0.0.1:34567 (https with TLS). */
  get clientUrl(): string {
    return `${this.opts.tls !== undefined ? 'https' : 'http'}://${this.address}:${this.clientPort}`;
  }

  /** etcdctl's TLS arguments. */
  private tlsArgs(): string[] {
    const t = this.opts.tls;
    return t === undefined
      ? []
      : [`--cacert=${t.ca}`, `--cert=${t.clientCert}`, `--key=${t.clientKey}`];
  }

  /** The pid of the running etcd (undefined when stopped). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** What etcd wrote so far (for failure messages). */
  output(): string {
    return this.proc !== undefined && 'output' in this.proc ? this.proc.output() : this.log;
  }

  static async start(opts: EtcdOptions = {}): Promise<EtcdServer> {
    const why = etcdUnavailable();
    if (why !== undefined) throw new Error(why);
    const inLab = opts.host !== undefined;
    const address = opts.address ?? '127.0.0.1';
    const clientPort = opts.clientPort ?? (inLab ? 2379 : await freePort());
    let peerPort = opts.peerPort ?? (inLab ? 2380 : await freePort());
    while (peerPort === clientPort) peerPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'ctdb-ts-etcd-'));
    const server = new EtcdServer(opts, address, clientPort, peerPort, dataDir);
    live.add(server);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const s of live) s.killNow();
      });
    }
    await server.launch();
    return server;
  }

  private argv(): string[] {
    const client = this.clientUrl;
    const peer = `http://${this.address}:${this.peerPort}`;
    return [
      ETCD_BINARY,
      '--name',
      'ctdbtest',
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `ctdbtest=${peer}`,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'warn',
      ...(this.opts.tls !== undefined
        ? [
            `--cert-file=${this.opts.tls.cert}`,
            `--key-file=${this.opts.tls.key}`,
            `--trusted-ca-file=${this.opts.tls.ca}`,
            '--client-cert-auth',
          ]
        : []),
    ];
  }

  private async launch(): Promise<void> {
    const argv = this.argv();
    if (this.opts.host !== undefined) {
      this.proc = this.opts.host.spawn(argv);
    } else {
      this.log = '';
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (d: string) => (this.log += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (this.log += d));
      this.proc = child;
    }
    await this.waitHealthy(this.opts.startTimeoutMs ?? 20_000);
  }

  /** Runs etcdctl against this server (in its namespace when there is one). */
  async etcdctl(
    args: readonly string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const argv = [
      ETCDCTL_BINARY,
      `--endpoints=${this.clientUrl}`,
      ...this.tlsArgs(),
      '--dial-timeout=2s',
      '--command-timeout=3s',
      ...args,
    ];
    const env = { ...process.env, ETCDCTL_API: '3' };
    if (this.opts.host !== undefined) return this.opts.host.run(argv, { env, timeoutMs: 10_000 });
    const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout: 10_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running()) throw new Error(`etcd exited during start-up:\n${this.output()}`);
      const r = await this.etcdctl(['endpoint', 'health']);
      if (r.code === 0) return;
      await sleep(100);
    }
    throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${this.output()}`);
  }

  running(): boolean {
    const p = this.proc;
    if (p === undefined) return false;
    if ('running' in p) return p.running;
    return p.exitCode === null && p.signalCode === null;
  }

  private exited(): Promise<void> {
    const p = this.proc;
    if (p === undefined || !this.running()) return Promise.resolve();
    if ('exited' in p) return p.exited.then(() => undefined);
    return new Promise((resolve) => p.once('exit', () => resolve()));
  }

  /** Stops etcd (SIGTERM, SIGKILL after 5 s); the data directory is kept for restart(). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running()) return;
    const pid = this.proc!.pid!;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
    const gone = this.exited();
    if (!(await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]))) {
      this.killNow();
      await gone;
    }
    this.proc = undefined;
  }

  /** Starts etcd again on the same ports with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops etcd and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    live.delete(this);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private killNow(): void {
    const pid = this.proc?.pid;
    if (pid === undefined || !this.running()) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
