// What a client of the cluster sees of its public addresses, measured from inside the client
// namespace: which node answers each address, how long an address is unreachable after a fault,
// whether two nodes ever answer one address at once, and when held-open connections are reset.
//
// API
//   now() → ms since the epoch, sub-millisecond (the clock every timestamp below uses; take a
//       fault's t0 with it).
//   AddressProber.start(clientHost, addresses, { port = 7001, intervalMs = 20,
//       connectTimeoutMs = 250, arp = false, arpIntervalMs = 50, arpSource, iface })
//       One long-lived agent process in the client namespace. Every intervalMs, for each address,
//       it opens a TCP connection to ADDRESS:port (overlapping probes allowed, each bounded by
//       connectTimeoutMs), reads the PNN the service writes, and closes. With `arp: true` it also
//       runs one long-lived `arping` per address that sends an ARP request every arpIntervalMs
//       and reports every reply's MAC; a duplicate is two different MACs answering the same
//       request. The ARP requests use a spoofed source (MAC 02:00:00:00:00:fd, IP `arpSource`,
//       default .253 of the client's /24, interface in promiscuous mode), so the replies never
//       touch the client kernel's neighbour cache: the TCP probes see only what gratuitous ARPs
//       and the kernel's own resolution give them, as a real client would.
//   prober.allAnswerSince(t0, timeoutMs, { notFrom? }) → ms from t0 until every address had
//       answered (a probe that connected and read a PNN at or after t0; with notFrom, answered by a
//       PNN not in that list, e.g. the node just killed or stopped, which may keep answering from
//       its own namespace). Rejects with ProbeTimeoutError naming the addresses still silent.
//   prober.firstAnswers(t0, { notFrom? }) → Map address → first counting answer {t, pnn} at or
//       after t0 (undefined: none yet), without waiting.
//   prober.owners() → Map address → PNN of the latest successful probe.
//   prober.duplicates(since = 0) → [{address, macs, at}] (needs arp: true).
//   prober.macs(address) → the MACs seen answering ARP for it, in order of first appearance.
//   prober.failuresSince(t0) → count of failed probes per address since t0.
//   prober.stop() → stops the agent (and its arping children).
//
//   holdConnections(clientHost, addresses, port = 7001, { pokeMs?, connectTimeoutMs? })
//       → HeldConnections, once one connection per address is established and has read its PNN.
//       It keeps them open and records when each ends and how: 'reset' (RST: ECONNRESET),
//       'fin' (the peer closed), 'error' (anything else, e.g. ETIMEDOUT). With pokeMs it writes
//       one byte that often, so a connection whose address moved meets the new owner's RST even
//       without a tickle ACK. Methods: list() → [{address, pnn, connectedAt, closedAt?, how?,
//       error?}], waitClosed(addresses, timeoutMs) → the list once those have all ended
//       (ProbeTimeoutError otherwise), stop().
//
// The agent is this file run as `tsx address-prober.ts --agent probe|hold … --report SOCKET`; it
// writes one JSON object per line to the caller's Unix socket (a file, so reachable from any
// network namespace). It is started with the LabHost's `spawn`, so the lab kills it on teardown
// even when stop() is never reached, and it exits by itself when the caller's socket closes.
//
// Example (H4's fault tests):
//   const prober = await AddressProber.start(cluster.lab.client!, cluster.publicAddresses,
//     { arp: true });
//   const t0 = now(); await cluster.crash(1);  // kill9 alone leaves its addresses: duplicates
//   const ms = await prober.allAnswerSince(t0, 30_000, { notFrom: [1] });
//   assert.deepEqual(prober.duplicates(t0), []);
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabHost, LabProcess } from './netlab.js';

/** The clock all prober timestamps use (ms since the epoch, fractional). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A wait of the prober ran out of time. */
export class ProbeTimeoutError extends Error {
  constructor(
    message: string,
    /** The addresses that had not reached the awaited state. */
    readonly pending: readonly string[],
  ) {
    super(message);
    this.name = 'ProbeTimeoutError';
  }
}

/** The agent process could not be started or died. */
export class ProbeAgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeAgentError';
  }
}

export interface ProberOptions {
  readonly port?: number;
  readonly intervalMs?: number;
  readonly connectTimeoutMs?: number;
  /** Also watch for duplicate ARP answers (default false). */
  readonly arp?: boolean;
  readonly arpIntervalMs?: number;
  /** Source IP of the spoofed ARP requests (default: .253 in the client's /24). */
  readonly arpSource?: string;
  /** The client's interface (default: the host's public interface). */
  readonly iface?: string;
  /** Give up if the agent is not ready after this long (default 20 s). */
  readonly startTimeoutMs?: number;
}

export interface Duplicate {
  readonly address: string;
  readonly macs: readonly string[];
  readonly at: number;
}

export interface AnswerOptions {
  /** Answers from these PNNs do not count. */
  readonly notFrom?: readonly number[];
}

/** Lines the agent writes (one JSON object each). */
type AgentLine =
  | { k: 'ready'; t: number }
  | { k: 'ok'; a: number; t: number; pnn: number }
  | { k: 'fail'; a: number; t: number; e: string }
  | { k: 'arp'; a: number; t: number; mac: string; seq: number }
  | { k: 'held'; a: number; t: number; pnn: number }
  | { k: 'closed'; a: number; t: number; how: CloseKind; e?: string }
  | { k: 'log'; msg: string };

export type CloseKind = 'reset' | 'fin' | 'error';

const AGENT_FILE = fileURLToPath(import.meta.url);
const PROJECT_ROOT = resolve(dirname(AGENT_FILE), '../..');
const SPOOFED_ARP_MAC = '02:00:00:00:00:fd';
/** Keep this much probe history per address (a bench run is far shorter). */
const HISTORY_MS = 15 * 60_000;

/**
 * The agent's report channel: a Unix socket (reachable from any network namespace, since they
 * share the filesystem) on which the agent writes one JSON object per line. Reading it as a
 * stream keeps nothing but what the caller records.
 */
class AgentLink {
  private proc: LabProcess | undefined;
  private readonly server: Server;
  private readonly path: string;
  private sockets = new Set<Socket>();
  private ready = false;
  private exitedWith: string | undefined;

  private constructor(private readonly onLine: (line: AgentLine) => void) {
    this.path = join(tmpdir(), `ctdb-prober-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    this.server = createServer((sock) => this.accept(sock));
  }

  /** Starts the agent with `--report PATH` appended to its options and waits for its ready line. */
  static async start(
    client: LabHost,
    mode: 'probe' | 'hold',
    args: readonly string[],
    addresses: readonly string[],
    timeoutMs: number,
    onLine: (line: AgentLine) => void,
  ): Promise<AgentLink> {
    const link = new AgentLink(onLine);
    await new Promise<void>((res, rej) => {
      link.server.once('error', rej);
      link.server.listen(link.path, () => res());
    });
    const argv = [
      process.execPath,
      '--import',
      'tsx',
      AGENT_FILE,
      '--agent',
      mode,
      ...args,
      '--report',
      link.path,
      '--',
      ...addresses,
    ];
    const proc = client.spawn(argv, { cwd: PROJECT_ROOT });
    link.proc = proc;
    void proc.exited.then(({ code, signal }) => {
      link.exitedWith = `prober agent exited ${code ?? signal}`;
    });
    try {
      const deadline = Date.now() + timeoutMs;
      while (!link.ready) {
        if (link.exitedWith !== undefined)
          throw new ProbeAgentError(`${link.exitedWith} before it was ready:\n${proc.output()}`);
        if (Date.now() > deadline)
          throw new ProbeAgentError(
            `prober agent not ready after ${timeoutMs} ms:\n${proc.output().slice(-2000)}`,
          );
        await sleep(20);
      }
    } catch (err) {
      await link.stop();
      throw err;
    }
    return link;
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    let rest = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        let line: AgentLine;
        try {
          line = JSON.parse(text) as AgentLine;
        } catch {
          continue;
        }
        if (line.k === 'ready') this.ready = true;
        this.onLine(line);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => this.sockets.delete(sock));
  }

  /** Why the agent is gone, or undefined while it runs. */
  get exited(): string | undefined {
    return this.exitedWith === undefined
      ? undefined
      : `${this.exitedWith}:\n${this.proc?.output().slice(-2000) ?? ''}`;
  }

  async stop(): Promise<void> {
    if (this.proc !== undefined) {
      this.proc.kill('SIGTERM');
      await Promise.race([this.proc.exited, sleep(2000)]);
      this.proc.kill('SIGKILL');
    }
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
    rmSync(this.path, { force: true });
  }
}

interface Answer {
  readonly t: number;
  readonly pnn: number;
}

export class AddressProber {
  private readonly answers = new Map<string, Answer[]>();
  private readonly failures = new Map<string, number[]>();
  private readonly arpSeen = new Map<string, string[]>();
  private readonly arpRound = new Map<string, { seq: number; macs: Set<string> }>();
  private readonly dups: Duplicate[] = [];
  private link: AgentLink | undefined;

  private constructor(readonly addresses: readonly string[]) {
    for (const a of addresses) {
      this.answers.set(a, []);
      this.failures.set(a, []);
      this.arpSeen.set(a, []);
    }
  }

  static async start(
    client: LabHost,
    addresses: readonly string[],
    opts: ProberOptions = {},
  ): Promise<AddressProber> {
    if (addresses.length === 0) throw new ProbeAgentError('no addresses to probe');
    const prober = new AddressProber(addresses);
    const args = [
      '--port',
      String(opts.port ?? 7001),
      '--interval',
      String(opts.intervalMs ?? 20),
      '--timeout',
      String(opts.connectTimeoutMs ?? 250),
    ];
    if (opts.arp === true) {
      const iface = opts.iface ?? client.publicIface;
      const source = opts.arpSource ?? defaultArpSource(client.publicAddress);
      args.push(
        '--arp-iface',
        iface,
        '--arp-source',
        source,
        '--arp-interval',
        String(opts.arpIntervalMs ?? 50),
      );
    }
    prober.link = await AgentLink.start(
      client,
      'probe',
      args,
      addresses,
      opts.startTimeoutMs ?? 20_000,
      (line) => prober.onLine(line),
    );
    return prober;
  }

  private onLine(line: AgentLine): void {
    if (line.k === 'ok') {
      const list = this.answers.get(this.addressAt(line.a));
      list?.push({ t: line.t, pnn: line.pnn });
      if (list !== undefined && list.length > 0 && list[0]!.t < line.t - HISTORY_MS) list.shift();
    } else if (line.k === 'fail') {
      const list = this.failures.get(this.addressAt(line.a));
      list?.push(line.t);
      if (list !== undefined && list.length > 0 && list[0]! < line.t - HISTORY_MS) list.shift();
    } else if (line.k === 'arp') {
      const address = this.addressAt(line.a);
      const seen = this.arpSeen.get(address);
      if (seen !== undefined && !seen.includes(line.mac)) seen.push(line.mac);
      const round = this.arpRound.get(address);
      if (round === undefined || round.seq !== line.seq) {
        this.arpRound.set(address, { seq: line.seq, macs: new Set([line.mac]) });
      } else if (!round.macs.has(line.mac)) {
        round.macs.add(line.mac);
        this.dups.push({ address, macs: [...round.macs], at: line.t });
      }
    }
  }

  private addressAt(index: number): string {
    const a = this.addresses[index];
    if (a === undefined) throw new ProbeAgentError(`agent reported unknown address #${index}`);
    return a;
  }

  /** The agent's death is an error for anyone waiting on it. */
  private checkAlive(): void {
    const exited = this.link?.exited;
    if (exited !== undefined) throw new ProbeAgentError(exited);
  }

  /** First answer at or after t0 that counts, per address (undefined: none yet). */
  firstAnswers(t0: number, opts: AnswerOptions = {}): Map<string, Answer | undefined> {
    const excluded = new Set(opts.notFrom ?? []);
    const out = new Map<string, Answer | undefined>();
    for (const a of this.addresses) {
      const list = this.answers.get(a) ?? [];
      out.set(
        a,
        list.find((x) => x.t >= t0 && !excluded.has(x.pnn)),
      );
    }
    return out;
  }

  async allAnswerSince(t0: number, timeoutMs: number, opts: AnswerOptions = {}): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.firstAnswers(t0, opts);
      const pending = [...first].filter(([, v]) => v === undefined).map(([a]) => a);
      if (pending.length === 0) {
        return Math.max(...[...first.values()].map((v) => v!.t - t0));
      }
      this.checkAlive();
      if (Date.now() > deadline) {
        const owners = this.owners();
        const detail = pending.map((a) => `${a} (last answered by ${owners.get(a) ?? 'nobody'})`);
        throw new ProbeTimeoutError(
          `not every address answered within ${timeoutMs} ms: ${detail.join(', ')}`,
          pending,
        );
      }
      await sleep(10);
    }
  }

  owners(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.addresses) {
      const last = this.answers.get(a)?.at(-1);
      if (last !== undefined) out.set(a, last.pnn);
    }
    return out;
  }

  duplicates(since = 0): Duplicate[] {
    return this.dups.filter((d) => d.at >= since);
  }

  macs(address: string): readonly string[] {
    return [...(this.arpSeen.get(address) ?? [])];
  }

  failuresSince(t0: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.addresses)
      out.set(a, (this.failures.get(a) ?? []).filter((t) => t >= t0).length);
    return out;
  }

  async stop(): Promise<void> {
    await this.link?.stop();
  }
}

export interface HeldConnection {
  readonly address: string;
  readonly pnn: number;
  readonly connectedAt: number;
  closedAt?: number;
  how?: CloseKind;
  error?: string;
}

export interface HoldOptions {
  /** Write one byte this often (default: never write). */
  readonly pokeMs?: number;
  readonly connectTimeoutMs?: number;
  readonly startTimeoutMs?: number;
}

export class HeldConnections {
  private readonly conns = new Map<string, HeldConnection>();
  private link: AgentLink | undefined;

  private constructor(readonly addresses: readonly string[]) {}

  /** Use holdConnections(). */
  static async open(
    client: LabHost,
    addresses: readonly string[],
    port: number,
    opts: HoldOptions,
  ): Promise<HeldConnections> {
    const held = new HeldConnections(addresses);
    const args = ['--port', String(port), '--timeout', String(opts.connectTimeoutMs ?? 2000)];
    if (opts.pokeMs !== undefined) args.push('--poke', String(opts.pokeMs));
    held.link = await AgentLink.start(
      client,
      'hold',
      args,
      addresses,
      opts.startTimeoutMs ?? 20_000,
      (line) => held.onLine(line),
    );
    try {
      const failed = held.list().filter((c) => c.closedAt !== undefined || c.pnn < 0);
      if (held.conns.size !== addresses.length || failed.length > 0)
        throw new ProbeAgentError(
          `could not hold a connection to every address: ${JSON.stringify(held.list())}`,
        );
    } catch (err) {
      await held.link.stop();
      throw err;
    }
    return held;
  }

  private onLine(line: AgentLine): void {
    if (line.k === 'held') {
      const address = this.addresses[line.a];
      if (address !== undefined)
        this.conns.set(address, { address, pnn: line.pnn, connectedAt: line.t });
    } else if (line.k === 'closed') {
      const address = this.addresses[line.a];
      if (address === undefined) return;
      const c = this.conns.get(address) ?? { address, pnn: -1, connectedAt: line.t };
      c.closedAt = line.t;
      c.how = line.how;
      if (line.e !== undefined) c.error = line.e;
      this.conns.set(address, c);
    }
  }

  list(): HeldConnection[] {
    return [...this.conns.values()].map((c) => ({ ...c }));
  }

  async waitClosed(addresses: readonly string[], timeoutMs: number): Promise<HeldConnection[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = this.list();
      const pending = addresses.filter(
        (a) => all.find((c) => c.address === a)?.closedAt === undefined,
      );
      if (pending.length === 0) return all.filter((c) => addresses.includes(c.address));
      if (this.link?.exited !== undefined) throw new ProbeAgentError(this.link.exited);
      if (Date.now() > deadline)
        throw new ProbeTimeoutError(
          `held connections still open after ${timeoutMs} ms: ${pending.join(', ')}`,
          pending,
        );
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    await this.link?.stop();
  }
}

/** Opens and holds one TCP connection per address from inside the client namespace. */
export function holdConnections(
  client: LabHost,
  addresses: readonly string[],
  port = 7001,
  opts: HoldOptions = {},
): Promise<HeldConnections> {
  return HeldConnections.open(client, addresses, port, opts);
}

function defaultArpSource(clientAddress: string | undefined): string {
  const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(clientAddress ?? '');
  if (m === null)
    throw new ProbeAgentError(
      `cannot derive an ARP source from client address ${String(clientAddress)}; pass arpSource`,
    );
  return `${m[1]}.253`;
}

// ---------------------------------------------------------------------------------------------
// The agent (runs inside the client namespace).

interface AgentArgs {
  mode: 'probe' | 'hold';
  port: number;
  intervalMs: number;
  timeoutMs: number;
  pokeMs: number | undefined;
  arpIface: string | undefined;
  arpSource: string | undefined;
  arpIntervalMs: number;
  report: string | undefined;
  addresses: string[];
}

function parseAgentArgs(argv: readonly string[]): AgentArgs {
  const mode = argv[0];
  if (mode !== 'probe' && mode !== 'hold') throw new Error(`unknown agent mode ${String(mode)}`);
  const out: AgentArgs = {
    mode,
    port: 7001,
    intervalMs: 20,
    timeoutMs: 250,
    pokeMs: undefined,
    arpIface: undefined,
    arpSource: undefined,
    arpIntervalMs: 50,
    report: undefined,
    addresses: [],
  };
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number`);
    return n;
  };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--') {
      out.addresses = argv.slice(i + 1);
      break;
    }
    i++;
    if (flag === '--port') out.port = num(flag, value);
    else if (flag === '--interval') out.intervalMs = num(flag, value);
    else if (flag === '--timeout') out.timeoutMs = num(flag, value);
    else if (flag === '--poke') out.pokeMs = num(flag, value);
    else if (flag === '--arp-iface') out.arpIface = value;
    else if (flag === '--arp-source') out.arpSource = value;
    else if (flag === '--arp-interval') out.arpIntervalMs = num(flag, value);
    else if (flag === '--report') out.report = value;
    else throw new Error(`unknown agent option ${String(flag)}`);
  }
  return out;
}

let report: Socket | undefined;

function emit(line: AgentLine): void {
  report?.write(`${JSON.stringify(line)}\n`);
}

/** The first decimal number the service wrote, or undefined. */
function parsePnn(text: string): number | undefined {
  const m = /\d+/.exec(text);
  return m === null ? undefined : Number(m[0]);
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

function probeOnce(index: number, host: string, args: AgentArgs, done: () => void): void {
  let settled = false;
  let text = '';
  const sock: Socket = connect({ host, port: args.port });
  const finish = (line: AgentLine): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    sock.destroy();
    emit(line);
    done();
  };
  const timer = setTimeout(
    () => finish({ k: 'fail', a: index, t: now(), e: 'timeout' }),
    args.timeoutMs,
  );
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    text += d;
    // The service writes its PNN in one small write, so the first digits are all of it.
    const pnn = parsePnn(text);
    if (pnn !== undefined) finish({ k: 'ok', a: index, t: now(), pnn });
  });
  sock.on('end', () => {
    const pnn = parsePnn(text);
    finish(
      pnn === undefined
        ? { k: 'fail', a: index, t: now(), e: 'closed without a PNN' }
        : { k: 'ok', a: index, t: now(), pnn },
    );
  });
  sock.on('error', (err) => finish({ k: 'fail', a: index, t: now(), e: errorCode(err) }));
}

function startArping(index: number, address: string, args: AgentArgs): ChildProcess {
  const child = spawn(
    'arping',
    [
      '-u',
      '-p',
      '-s',
      SPOOFED_ARP_MAC,
      '-S',
      args.arpSource ?? '0.0.0.0',
      '-i',
      args.arpIface ?? 'eth0',
      '-W',
      String(args.arpIntervalMs / 1000),
      address,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const t = now();
    const lines = (rest + d).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      // "42 bytes from aa:bb:cc:dd:ee:ff (10.78.0.101): index=3/1 time=…": the number after the
      // slash counts requests sent, so replies sharing it answered the same request.
      const m = /from ([0-9a-f:]{17}) \(([^)]+)\): index=\d+\/(\d+)/i.exec(l);
      if (m?.[2] === address)
        emit({ k: 'arp', a: index, t, mac: m[1]!.toLowerCase(), seq: Number(m[3]) });
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => emit({ k: 'log', msg: d.trim() }));
  child.on('exit', (code, signal) => {
    if (!stopping) emit({ k: 'log', msg: `arping ${address} exited ${code ?? signal}` });
  });
  return child;
}

let stopping = false;
const agentChildren: ChildProcess[] = [];

/** Ends the agent and its arping children (on SIGTERM, or when the caller's socket closes). */
function shutdownAgent(): void {
  stopping = true;
  for (const c of agentChildren) c.kill('SIGKILL');
  process.exit(0);
}

function runProbeAgent(args: AgentArgs): void {
  // At most one probe per interval can start; this bounds how many overlap while an address
  // hangs (each lasts at most timeoutMs).
  const maxInFlight = Math.ceil(args.timeoutMs / args.intervalMs) + 1;
  for (const [index, address] of args.addresses.entries()) {
    let inFlight = 0;
    setInterval(() => {
      if (inFlight >= maxInFlight) return;
      inFlight++;
      probeOnce(index, address, args, () => inFlight--);
    }, args.intervalMs);
    if (args.arpIface !== undefined) agentChildren.push(startArping(index, address, args));
  }
  emit({ k: 'ready', t: now() });
}

function runHoldAgent(args: AgentArgs): void {
  let pending = args.addresses.length;
  const ready = (): void => {
    if (--pending === 0) emit({ k: 'ready', t: now() });
  };
  for (const [index, address] of args.addresses.entries()) {
    let text = '';
    let held = false;
    let closed = false;
    let poke: NodeJS.Timeout | undefined;
    const sock = connect({ host: address, port: args.port });
    const close = (how: CloseKind, e?: string): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (poke !== undefined) clearInterval(poke);
      emit(
        e === undefined
          ? { k: 'closed', a: index, t: now(), how }
          : { k: 'closed', a: index, t: now(), how, e },
      );
      if (!held) ready();
      sock.destroy();
    };
    const timer = setTimeout(() => close('error', 'connect timeout'), args.timeoutMs);
    sock.setEncoding('utf8');
    sock.setNoDelay(true);
    sock.on('data', (d: string) => {
      if (held) return;
      text += d;
      const pnn = parsePnn(text);
      if (pnn === undefined) return;
      held = true;
      clearTimeout(timer);
      emit({ k: 'held', a: index, t: now(), pnn });
      if (args.pokeMs !== undefined) poke = setInterval(() => sock.write('.'), args.pokeMs);
      ready();
    });
    sock.on('end', () => close('fin'));
    sock.on('error', (err) => {
      const code = errorCode(err);
      close(code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'error', code);
    });
    sock.on('close', () => close('fin'));
  }
}

if (process.argv[2] === '--agent' && resolve(process.argv[1] ?? '') === AGENT_FILE) {
  const args = parseAgentArgs(process.argv.slice(3));
  if (args.addresses.length === 0) throw new Error('agent: no addresses');
  if (args.report === undefined) throw new Error('agent: --report PATH is required');
  process.on('SIGTERM', shutdownAgent);
  process.on('SIGINT', shutdownAgent);
  report = connect(args.report);
  // The caller going away ends the agent (and its arping children).
  report.on('close', shutdownAgent);
  report.on('error', () => undefined);
  report.once('connect', () => {
    if (args.mode === 'probe') runProbeAgent(args);
    else runHoldAgent(args);
  });
}
