// The ctdbd daemon: node state (node map, flags, vnnmap, recovery mode, runstate, tunables),
// packet routing between local clients and other nodes, and the start-up sequence. The control
// handlers live in controls.ts, the leader's recovery loop in recovery.ts, monitoring in
// monitor.ts, the election in ../election.
import { randomInt } from 'node:crypto';
import type { Server } from 'node:net';
import type { CtdbConfig } from '../config/ctdb-conf.js';
import type { NodeEntry } from '../config/nodes-file.js';
import { helperArgv, parseClusterLockSetting } from '../cluster-lock/index.js';
import { LeaderElection, type ElectionData } from '../election/election.js';
import type { EventName } from '../../lib/eventscript/events.js';
import { EventGate } from '../health/event-gate.js';
import { LockElection } from '../recovery/lock-election.js';
import { kernelAddresses as kernelAddressesOf, neighboursAnnouncer } from '../takeover/adapters.js';
import { NodeIps, type KernelAddresses } from '../takeover/node-ips.js';
import { connectionPayload, tickleListPayload } from '../takeover/wire.js';
import type { Logger } from '../logging/index.js';
import { NodeMap } from '../nodes/nodemap.js';
import {
  CAPABILITIES_DEFAULT,
  Capability,
  ControlFlag,
  DebugLevel,
  DestNode,
  INVALID_GENERATION,
  NODE_FLAGS_INACTIVE,
  NodeFlag,
  Operation,
  RecoveryMode,
  Runstate,
  Srvid,
  UNKNOWN_PNN,
} from '../protocol/constants.js';
import { Control, controlLabel } from '../protocol/controls.js';
import { FramingError, type ProtocolError } from '../protocol/errors.js';
import {
  decodePacket,
  encodeReplyControl,
  encodeReqControl,
  encodeReqKeepalive,
  encodeReqMessage,
  keepaliveVersion,
  type Packet,
  type ReplyControl,
  type ReqControl,
} from '../protocol/packets.js';
import {
  disableMessagePayload,
  electionPayload,
  nodeFlagChangePayload,
  srvidMessagePayload,
  timevalFromMs,
  timevalToMs,
  u32Payload,
  i32Payload,
} from '../protocol/payloads.js';
import type { Tunables } from '../tunables/store.js';
import { Keepalives } from '../transport/keepalive.js';
import { NodeTransport, type TransportNode } from '../transport/tcp.js';
import { ClientServer, type LocalClient } from './clients.js';
import { startCliService, type CliService } from '../cli/service.js';
import { handleControl, type ControlResult } from './controls.js';
import { ControlFailedError, StartupError } from './errors.js';
import type { EventRunner } from './eventd.js';
import { Monitor } from './monitor.js';
import { RecoveryMaster } from './recovery.js';
import { Statistics } from './statistics.js';

export interface DaemonSettings {
  readonly config: CtdbConfig;
  readonly nodes: readonly NodeEntry[];
  readonly nodesFile: string;
  readonly tunables: Tunables;
  readonly socketPath: string;
  readonly log: Logger;
  /** CTDB_TEST_MODE: fast start (0.5 s elections, no rerecovery wait before startup). */
  readonly fastStart: boolean;
  readonly port: number;
  /** The listener bound to our own node address (chooses our PNN). */
  readonly listener: Server;
  readonly pnn: number;
  readonly events: EventRunner;
  /** `public_addresses` of this node (a missing file means none). */
  readonly publicAddressesFile: string;
  /** Sends a notification (init, setup, startup, healthy, unhealthy) without waiting. */
  readonly notify?: (event: 'init' | 'setup' | 'startup' | 'healthy' | 'unhealthy') => void;
  /** Called when the daemon has shut down and the process should exit. */
  readonly exit: (code: number) => void;
}

interface PendingControl {
  readonly node: number;
  readonly timer: NodeJS.Timeout;
  readonly done: (reply: ReplyControl | Error) => void;
}

export class Ctdbd {
  readonly pnn: number;
  readonly log: Logger;
  readonly tunables: Tunables;
  readonly config: CtdbConfig;
  readonly nodeMap: NodeMap;
  readonly startTime = Date.now();
  readonly election: LeaderElection;
  readonly monitor: Monitor;
  readonly recovery: RecoveryMaster;
  readonly stats = new Statistics();
  runstate: number = Runstate.UNKNOWN;
  private currentRecmode: number = RecoveryMode.ACTIVE;
  private dropIpsTimer: NodeJS.Timeout | undefined;
  vnnmap: { generation: number; map: number[] };
  capabilities: number;
  debugLevel: number;
  lastRecoveryStarted = 0;
  lastRecoveryFinished = 0;
  banTimer: NodeJS.Timeout | undefined;
  banTime = 0;
  readonly nodesFile: string;
  /** A cluster lock is configured: the lock is the election. */
  readonly lockConfigured: boolean;
  /** The helper command of the configured cluster lock. */
  readonly lockArgv: readonly string[] | undefined;
  /** The public addresses and their controls (loaded at start). */
  ips: NodeIps | undefined;
  /** Whether the kernel is asked where addresses are (not in test mode, as in CTDB). */
  readonly kernelAddresses: KernelAddresses;
  private tickleTimer: NodeJS.Timeout | undefined;
  /** CTDB's rules for starting an event: arguments, recovery mode, hung scripts. */
  private readonly eventGate: EventGate;
  private readonly transport: NodeTransport;
  private readonly keepalives: Keepalives;
  private readonly clients: ClientServer;
  private cliService: CliService | undefined;
  private readonly pending = new Map<number, PendingControl>();
  private nextReqid = randomInt(1, 0x7fffffff);
  private shuttingDown = false;
  private startupDone = false;

  constructor(private readonly s: DaemonSettings) {
    this.pnn = s.pnn;
    this.log = s.log;
    this.tunables = s.tunables;
    this.config = s.config;
    this.nodesFile = s.nodesFile;
    this.debugLevel = DebugLevel[s.config.logging.logLevel];
    let caps = CAPABILITIES_DEFAULT;
    if (!s.config.cluster.leaderCapability) caps &= ~Capability.RECMASTER;
    if (!s.config.legacy.lmasterCapability) caps &= ~Capability.LMASTER;
    this.capabilities = caps;
    let selfFlags: number = NodeFlag.UNHEALTHY;
    if (s.config.legacy.startAsDisabled) selfFlags |= NodeFlag.PERMANENTLY_DISABLED;
    if (s.config.legacy.startAsStopped) selfFlags |= NodeFlag.STOPPED;
    this.nodeMap = new NodeMap(s.nodes, s.pnn, selfFlags, caps);
    this.vnnmap = {
      generation: INVALID_GENERATION,
      map: this.nodeMap.nodes.map((n) => n.pnn),
    };
    this.transport = new NodeTransport(
      this.selfTransportNode(),
      this.transportNodes(),
      s.listener,
      s.port,
      s.log,
    );
    this.transport.on('connected', (pnn) => this.nodeConnected(pnn));
    this.transport.on('disconnected', (pnn) => this.nodeDisconnected(pnn));
    this.transport.on('packet', (pnn, frame) => this.fromNode(pnn, frame));
    this.keepalives = new Keepalives(
      {
        takeReceived: (pnn) => this.transport.takeReceived(pnn),
        sendKeepalive: (pnn) => this.sendKeepalive(pnn),
        peerDead: (pnn) => {
          this.log.notice(`Keepalive monitor: node ${pnn} is dead`);
          this.transport.kill(pnn, 'keepalive timeout');
        },
      },
      () =>
        this.nodeMap.nodes
          .filter((n) => n.pnn !== this.pnn && (n.flags & NodeFlag.DELETED) === 0)
          .map((n) => ({ pnn: n.pnn, connected: this.transport.isConnected(n.pnn) })),
      () => ({
        intervalSeconds: this.tunables.value('KeepaliveInterval'),
        limit: this.tunables.value('KeepaliveLimit'),
      }),
    );
    this.clients = new ClientServer(
      s.socketPath,
      {
        packet: (client, packet) => this.fromClient(client, packet),
        gone: (client) => {
          for (const [srvid, data] of client.notify)
            this.sendMessage(DestNode.BROADCAST_CONNECTED, srvid, data);
        },
      },
      s.log,
    );
    const lockSetting =
      s.config.cluster.clusterLock === undefined
        ? undefined
        : parseClusterLockSetting(s.config.cluster.clusterLock);
    this.lockConfigured = lockSetting !== undefined;
    this.lockArgv = lockSetting === undefined ? undefined : helperArgv(lockSetting);
    this.kernelAddresses = kernelAddressesOf(!s.fastStart);
    const lock =
      lockSetting === undefined
        ? undefined
        : new LockElection(
            {
              ownPnn: this.pnn,
              canBeLeader: () => this.canBeLeader(),
              forceElection: (reason) => {
                this.log.error(`Forcing an election: ${reason}`);
                this.election.forceElection();
              },
              log: {
                info: (m) => this.log.notice(m),
                warn: (m) => this.log.warning(m),
                error: (m) => this.log.error(m),
              },
            },
            {
              argv: this.lockArgv ?? [],
              onStderr: (line) => this.log.notice(`cluster lock helper: ${line}`),
            },
          );
    this.election = new LeaderElection(
      {
        selfPnn: this.pnn,
        canBeLeader: () => this.canBeLeader(),
        selfFlags: () => this.nodeMap.self.flags,
        numConnected: () => this.nodeMap.connected().length,
        sendElection: (d) => this.sendElection(d),
        sendLeaderBroadcast: (pnn) =>
          this.sendMessage(DestNode.BROADCAST_CONNECTED, Srvid.LEADER, u32Payload.encode(pnn)),
        setRecoveryActiveEverywhere: () => this.setRecoveryActiveEverywhere(),
        electionFinished: (leader) => {
          if (leader === this.pnn) this.recovery.requestRecovery('election');
        },
      },
      {
        leaderTimeout: () => this.config.cluster.leaderTimeout,
        electionTimeout: () => this.tunables.value('ElectionTimeout'),
        fastStart: s.fastStart,
      },
      s.log,
      lock,
    );
    this.eventGate = new EventGate({
      runner: {
        run: (event, args) => s.events.run(event, args, this.tunables.value('EventScriptTimeout')),
      },
      recoveryMode: () => this.recmode,
      log: { warn: (m) => this.log.warning(m), error: (m) => this.log.error(m) },
    });
    this.monitor = new Monitor(this);
    this.recovery = new RecoveryMaster(this);
  }

  get recmode(): number {
    return this.currentRecmode;
  }

  /**
   * Entering recovery arms CTDB's safety net: a node left in recovery for RecoveryDropAllIPs
   * seconds (cut off from its leader, say) releases every public address it holds, so the
   * side of a partition that has the cluster lock can own them alone.
   */
  set recmode(mode: number) {
    if (mode === RecoveryMode.ACTIVE && this.dropIpsTimer === undefined && !this.shuttingDown) {
      this.dropIpsTimer = setTimeout(
        () => {
          this.dropIpsTimer = undefined;
          this.log.error('Been in recovery mode for too long. Dropping all IPS');
          void this.releaseAllIps();
        },
        this.tunables.value('RecoveryDropAllIPs') * 1000,
      );
      this.dropIpsTimer.unref();
    } else if (mode === RecoveryMode.NORMAL) {
      clearTimeout(this.dropIpsTimer);
      this.dropIpsTimer = undefined;
    }
    this.currentRecmode = mode;
  }

  // ---------------------------------------------------------------------------------------
  // Start-up and shutdown

  /** Runs CTDB's start-up sequence up to FIRST_RECOVERY; the rest follows asynchronously. */
  async start(): Promise<void> {
    this.ips = await NodeIps.fromFile(this.s.publicAddressesFile, {
      events: { run: (event, args) => this.runEvent(event, args) },
      kernel: this.kernelAddresses,
      announcer: neighboursAnnouncer((err) =>
        this.log.warning(`Unable to announce an address: ${(err as Error).message}`),
      ),
      host: {
        pnn: this.pnn,
        localState: () => ({
          runstate: this.runstate,
          flags: this.nodeMap.self.flags,
          inRecovery: this.recmode !== RecoveryMode.NORMAL,
        }),
        notifyLocalClients: (srvid, data) => this.deliverMessage(srvid, data, this.pnn),
        banSelf: (reason) => {
          this.log.error(`Banning this node: ${reason}`);
          this.ban(this.tunables.value('RecoveryBanPeriod'));
        },
        sendTcpUpdate: (kind, conn) => {
          const data = connectionPayload.encode(conn);
          const opcode = kind === 'add' ? Control.TCP_ADD : Control.TCP_REMOVE;
          for (const n of this.nodeMap.connected())
            if (n.pnn !== this.pnn) this.sendControlNoReply(n.pnn, opcode, data);
        },
      },
    });
    this.setRunstate('INIT');
    const initStatus = await this.runEvent('init', []);
    if (initStatus !== 0) throw new StartupError('Failed to run init event');
    this.s.notify?.('init');
    await this.clients.listen();
    this.cliService = await startCliService({ ctdbdSocket: this.s.socketPath, log: this.log });
    this.log.notice(`Listening to ctdbd socket ${this.s.socketPath}`);
    this.setRunstate('SETUP');
    const setupStatus = await this.runEvent('setup', []);
    if (setupStatus !== 0) throw new StartupError('Failed to run setup event');
    this.s.notify?.('setup');
    this.keepalives.start();
    this.election.start();
    this.recovery.start();
    this.scheduleTicklePush();
    this.setRunstate('FIRST_RECOVERY');
    this.waitForFirstRecovery();
  }

  private waitForFirstRecovery(): void {
    const check = (): void => {
      if (this.shuttingDown || this.startupDone) return;
      const settled =
        this.vnnmap.generation !== INVALID_GENERATION &&
        this.recmode === RecoveryMode.NORMAL &&
        this.runstate >= Runstate.STARTUP &&
        (this.s.fastStart ||
          Date.now() - this.lastRecoveryFinished >=
            (this.tunables.value('RerecoveryTimeout') + 3) * 1000);
      if (!settled) {
        setTimeout(check, 1000).unref();
        return;
      }
      this.startupDone = true;
      void this.runStartupEvent();
    };
    this.firstRecoveryCheck = check;
    setTimeout(check, 1000).unref();
  }

  /** Re-checks the start-up condition at once (after END_RECOVERY). */
  firstRecoveryCheck: () => void = () => undefined;

  private async runStartupEvent(): Promise<void> {
    for (;;) {
      if (this.shuttingDown) return;
      const status = await this.runEvent('startup', []);
      if (status === 0) break;
      this.log.error(`Failed to run startup event (${status}), retrying in 5 s`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    this.setRunstate('RUNNING');
    this.log.notice('CTDB daemon startup completed');
    this.s.notify?.('startup');
    for (const n of this.nodeMap.connected()) {
      if (n.pnn !== this.pnn) this.sendControlNoReply(n.pnn, Control.STARTUP, new Uint8Array(0));
    }
    this.monitor.start();
  }

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.notice('Shutdown sequence commencing.');
    this.setRunstate('SHUTDOWN');
    this.election.stop();
    this.recovery.stop();
    this.keepalives.stop();
    this.monitor.stop();
    clearTimeout(this.tickleTimer);
    clearTimeout(this.dropIpsTimer);
    await this.releaseAllIps();
    await this.runEvent('shutdown', []);
    this.ips?.close();
    this.s.events.stop();
    this.transport.stop();
    this.cliService?.close();
    this.clients.close();
    this.log.notice('Shutdown sequence complete, exiting.');
    this.s.exit(0);
  }

  /** Immediate stop without the shutdown event (stdin closed in test mode, eventd gone). */
  abort(code: number): void {
    this.shuttingDown = true;
    this.election.stop();
    this.ips?.close();
    this.s.events.stop();
    this.transport.stop();
    this.cliService?.close();
    this.clients.close();
    this.s.exit(code);
  }

  setRunstate(name: keyof typeof Runstate): void {
    this.runstate = Runstate[name];
    this.log.notice(`Set runstate to ${name} (${Runstate[name]})`);
  }

  /** Runs an event through eventd, with CTDB's recovery-mode and argument rules. */
  async runEvent(event: EventName, args: readonly string[]): Promise<number> {
    const r = await this.eventGate.run(event, args);
    return r.started ? r.status : -1;
  }

  // ---------------------------------------------------------------------------------------
  // Node state

  canBeLeader(): boolean {
    return (
      (this.nodeMap.self.flags & NODE_FLAGS_INACTIVE) === 0 &&
      (this.capabilities & Capability.RECMASTER) !== 0
    );
  }

  /** Sends a notification to the notification scripts, in the background. */
  notify(event: 'init' | 'setup' | 'startup' | 'healthy' | 'unhealthy'): void {
    this.s.notify?.(event);
  }

  /** Changes our own flags and tells every connected node. */
  setSelfFlags(flags: number): void {
    const old = this.nodeMap.self.flags;
    if (old === flags) return;
    this.nodeMap.self.flags = flags;
    this.log.notice(`Node flags changed from 0x${old.toString(16)} to 0x${flags.toString(16)}`);
    this.pushFlags(this.pnn, old, flags);
    this.election.checkRole();
    this.recovery.kick();
  }

  /** Asks the leader for a takeover run without waiting for it (health changes). */
  requestTakeoverRun(): void {
    const leader = this.leader;
    if (this.nodeMap.get(leader) === undefined) return;
    this.sendMessage(
      leader,
      Srvid.TAKEOVER_RUN,
      srvidMessagePayload.encode({ pnn: this.pnn, srvid: 0n }),
    );
  }

  /** On shutdown: release every address this node holds, so clients move at once. */
  private async releaseAllIps(): Promise<void> {
    const ips = this.ips;
    if (ips === undefined) return;
    for (const ip of ips.getPublicIps(false)) {
      if (ip.pnn !== this.pnn) continue;
      try {
        await ips.releaseIp({ ...ip, pnn: UNKNOWN_PNN });
      } catch (err) {
        this.log.error(`Unable to release ${ip.addr.address}: ${(err as Error).message}`);
      }
    }
  }

  /** Every TickleUpdateInterval: send changed tickle lists to the other nodes. */
  private scheduleTicklePush(): void {
    clearTimeout(this.tickleTimer);
    this.tickleTimer = setTimeout(
      () => {
        const ips = this.ips;
        if (ips !== undefined && !this.shuttingDown) {
          for (const list of ips.tickleListsToSend(false)) {
            const data = tickleListPayload.encode(list);
            for (const n of this.nodeMap.connected())
              if (n.pnn !== this.pnn)
                this.sendControlNoReply(n.pnn, Control.SET_TCP_TICKLE_LIST, data);
          }
        }
        this.scheduleTicklePush();
      },
      Math.max(1, this.tunables.value('TickleUpdateInterval')) * 1000,
    );
    this.tickleTimer.unref();
  }

  /** Sends MODIFY_FLAGS for a node to every connected node but us. */
  pushFlags(pnn: number, oldFlags: number, newFlags: number): void {
    const data = nodeFlagChangePayload.encode({ pnn, oldFlags, newFlags });
    for (const n of this.nodeMap.connected()) {
      if (n.pnn !== this.pnn) this.sendControlNoReply(n.pnn, Control.MODIFY_FLAGS, data);
    }
  }

  /** BANNED or STOPPED: drop out of the cluster's databases until a recovery re-admits us. */
  becomeInactive(): void {
    this.vnnmap = { generation: INVALID_GENERATION, map: this.vnnmap.map };
    this.recmode = RecoveryMode.ACTIVE;
  }

  private selfTransportNode(): TransportNode {
    const n = this.s.nodes[this.pnn]!;
    return { pnn: n.pnn, address: n.address, deleted: n.deleted };
  }

  private transportNodes(): TransportNode[] {
    return this.nodeMap.nodes.map((n) => ({
      pnn: n.pnn,
      address: n.address,
      deleted: (n.flags & NodeFlag.DELETED) !== 0,
    }));
  }

  /** Re-reads the node list (RELOAD_NODES_FILE) and reconnects as needed. */
  reloadNodes(entries: readonly NodeEntry[]): void {
    for (const c of this.nodeMap.reload(entries)) this.log.notice(`Node ${c.pnn} is ${c.change}`);
    this.transport.setNodes(this.transportNodes());
  }

  private nodeConnected(pnn: number): void {
    const n = this.nodeMap.get(pnn);
    if (n === undefined) return;
    n.flags &= ~NodeFlag.DISCONNECTED;
    // Tell the new peer our own flags; it tells us its flags the same way.
    const self = this.nodeMap.self;
    this.sendControlNoReply(
      pnn,
      Control.MODIFY_FLAGS,
      nodeFlagChangePayload.encode({ pnn: this.pnn, oldFlags: self.flags, newFlags: self.flags }),
    );
  }

  private nodeDisconnected(pnn: number): void {
    const n = this.nodeMap.get(pnn);
    if (n === undefined) return;
    if ((n.flags & NodeFlag.DELETED) === 0) n.flags |= NodeFlag.DISCONNECTED | NodeFlag.UNHEALTHY;
    this.election.nodeDisconnected(pnn);
    this.recovery.kick();
    for (const [reqid, p] of this.pending) {
      if (p.node !== pnn) continue;
      this.pending.delete(reqid);
      clearTimeout(p.timer);
      p.done(new ControlFailedError(pnn, 0, 'node disconnected'));
    }
  }

  setRecoveryActiveEverywhere(): void {
    const data = u32Payload.encode(RecoveryMode.ACTIVE);
    for (const n of this.nodeMap.active()) {
      if (n.pnn === this.pnn) this.recmode = RecoveryMode.ACTIVE;
      else this.sendControlNoReply(n.pnn, Control.SET_RECMODE, data);
    }
  }

  newGeneration(): number {
    return randomInt(2, 0x7fffffff);
  }

  numClients(): number {
    return this.clients.clients.size;
  }

  // ---------------------------------------------------------------------------------------
  // Routing

  /** The nodes a destnode value stands for. */
  targets(destnode: number): number[] {
    const nodes = this.nodeMap.nodes;
    switch (destnode) {
      case DestNode.CURRENT_NODE:
        return [this.pnn];
      case DestNode.BROADCAST_ALL:
        return nodes.filter((n) => (n.flags & NodeFlag.DELETED) === 0).map((n) => n.pnn);
      case DestNode.BROADCAST_ACTIVE:
        return this.nodeMap.active().map((n) => n.pnn);
      case DestNode.BROADCAST_CONNECTED:
        return this.nodeMap.connected().map((n) => n.pnn);
      default:
        return [destnode];
    }
  }

  private send(pnn: number, packet: Uint8Array): boolean {
    this.stats.nodePacketsSent++;
    return this.transport.send(pnn, Buffer.from(packet.buffer, packet.byteOffset, packet.length));
  }

  private sendKeepalive(pnn: number): void {
    this.stats.keepalivePacketsSent++;
    this.send(
      pnn,
      encodeReqKeepalive({
        destnode: pnn,
        srcnode: this.pnn,
        reqid: 0,
        generation: this.vnnmap.generation,
        version: this.version,
        uptime: Math.floor((Date.now() - this.startTime) / 1000),
      }),
    );
  }

  private fromClient(client: LocalClient, packet: Packet): void {
    this.stats.clientPacketsRecv++;
    switch (packet.operation) {
      case Operation.REQ_CONTROL:
        this.stats.client.reqControl++;
        this.clientControl(client, packet);
        return;
      case Operation.REQ_MESSAGE:
        this.stats.client.reqMessage++;
        this.routeMessage(packet.header.destnode, packet.srvid, packet.data);
        return;
      default:
        this.log.error(
          `Dropped unsupported packet (operation ${packet.operation}) from client ${client.id}`,
        );
    }
  }

  private clientControl(client: LocalClient, req: ReqControl): void {
    const noReply = (req.flags & ControlFlag.NOREPLY) !== 0;
    const reply = (
      status: number,
      data?: Uint8Array,
      errorMessage?: string,
      src = this.pnn,
    ): void => {
      if (noReply) return;
      this.stats.clientPacketsSent++;
      client.send(
        Buffer.from(
          encodeReplyControl({
            destnode: req.header.srcnode,
            srcnode: src,
            reqid: req.header.reqid,
            generation: this.vnnmap.generation,
            status,
            ...(data === undefined ? {} : { data }),
            ...(errorMessage === undefined ? {} : { errorMessage }),
          }),
        ),
      );
    };
    for (const target of this.targets(req.header.destnode)) {
      if (target === this.pnn) {
        void this.localControl(req, this.pnn, client).then((r) =>
          reply(r.status, r.data, r.errorMessage),
        );
        continue;
      }
      if (this.nodeMap.get(target) === undefined) {
        reply(-1, undefined, `Unknown node ${target}`);
        continue;
      }
      void this.control(target, req.opcode, req.data, {
        srvid: req.srvid,
        flags: req.flags,
        timeoutMs: this.tunables.value('ControlTimeout') * 1000,
      }).then(
        (r) => reply(r.status, r.data, r.errorMessage, target),
        (err: unknown) => {
          // A client that asked for no reply would never learn of the failure: log it.
          if (noReply)
            this.log.warning(
              `Control ${controlLabel(req.opcode)} for node ${target} from client ${client.id} was not delivered: ${(err as Error).message}`,
            );
          reply(-1, undefined, (err as Error).message, target);
        },
      );
    }
  }

  /** Runs a control here, never throwing. */
  async localControl(
    req: ReqControl,
    srcnode: number,
    client?: LocalClient,
  ): Promise<ControlResult> {
    try {
      return await handleControl(this, req, { srcnode, client });
    } catch (err) {
      this.log.error(`Control ${controlLabel(req.opcode)} failed: ${(err as Error).message}`);
      return { status: -1, errorMessage: (err as Error).message };
    }
  }

  /**
   * Sends a control to a node (ourselves included) and resolves with its reply; rejects with
   * ControlFailedError if the node is not connected, goes away, or does not answer in time.
   */
  control(
    pnn: number,
    opcode: number,
    data: Uint8Array,
    opts: { srvid?: bigint; flags?: number; timeoutMs?: number } = {},
  ): Promise<ReplyControl> {
    if (pnn === this.pnn) {
      const req = this.syntheticControl(opcode, data, opts.srvid ?? 0n, opts.flags ?? 0);
      return this.localControl(req, this.pnn).then((r) => ({
        operation: Operation.REPLY_CONTROL,
        header: req.header,
        status: r.status,
        data: r.data ?? new Uint8Array(0),
        errorMessage: r.errorMessage,
      }));
    }
    return new Promise((resolve, reject) => {
      const reqid = this.allocReqid();
      const packet = encodeReqControl({
        destnode: pnn,
        srcnode: this.pnn,
        reqid,
        generation: this.vnnmap.generation,
        opcode,
        srvid: opts.srvid ?? 0n,
        flags: (opts.flags ?? 0) & ~ControlFlag.NOREPLY,
        data,
      });
      const timer = setTimeout(
        () => {
          this.pending.delete(reqid);
          reject(new ControlFailedError(pnn, opcode, 'timed out'));
        },
        opts.timeoutMs ?? this.tunables.value('RecoverTimeout') * 1000,
      );
      this.pending.set(reqid, {
        node: pnn,
        timer,
        done: (r) => (r instanceof Error ? reject(r) : resolve(r)),
      });
      if (!this.send(pnn, packet)) {
        clearTimeout(timer);
        this.pending.delete(reqid);
        reject(new ControlFailedError(pnn, opcode, `node ${pnn} is not connected`));
      }
    });
  }

  sendControlNoReply(pnn: number, opcode: number, data: Uint8Array): void {
    if (pnn === this.pnn) {
      void this.localControl(this.syntheticControl(opcode, data, 0n, ControlFlag.NOREPLY), pnn);
      return;
    }
    this.send(
      pnn,
      encodeReqControl({
        destnode: pnn,
        srcnode: this.pnn,
        reqid: this.allocReqid(),
        generation: this.vnnmap.generation,
        opcode,
        flags: ControlFlag.NOREPLY,
        data,
      }),
    );
  }

  private syntheticControl(
    opcode: number,
    data: Uint8Array,
    srvid: bigint,
    flags: number,
  ): ReqControl {
    return {
      operation: Operation.REQ_CONTROL,
      header: {
        length: 0,
        magic: 0,
        version: 1,
        generation: this.vnnmap.generation,
        operation: Operation.REQ_CONTROL,
        destnode: this.pnn,
        srcnode: this.pnn,
        reqid: 0,
      },
      opcode,
      srvid,
      clientId: 0,
      flags,
      data,
    };
  }

  private allocReqid(): number {
    this.nextReqid = (this.nextReqid + 1) & 0x7fffffff || 1;
    return this.nextReqid;
  }

  /** Sends a message to a node, a broadcast, or ourselves (delivered to local listeners). */
  sendMessage(destnode: number, srvid: bigint, data: Uint8Array): void {
    this.routeMessage(destnode, srvid, data);
  }

  private routeMessage(destnode: number, srvid: bigint, data: Uint8Array): void {
    for (const target of this.targets(destnode)) {
      if (target === this.pnn) {
        this.deliverMessage(srvid, data, this.pnn);
        continue;
      }
      this.send(
        target,
        encodeReqMessage({
          destnode: target,
          srcnode: this.pnn,
          reqid: 0,
          generation: this.vnnmap.generation,
          srvid,
          data,
        }),
      );
    }
  }

  /** A message arrived for this node: internal handlers first, then registered clients. */
  deliverMessage(srvid: bigint, data: Uint8Array, srcnode: number): void {
    try {
      this.internalMessage(srvid, data);
    } catch (err) {
      this.log.error(`Bad message on srvid 0x${srvid.toString(16)}: ${(err as Error).message}`);
    }
    let packet: Buffer | undefined;
    for (const c of this.clients.clients) {
      if (!c.srvids.has(srvid) && !c.srvids.has(Srvid.ALL)) continue;
      packet ??= Buffer.from(
        encodeReqMessage({
          destnode: this.pnn,
          srcnode: srcnode,
          reqid: 0,
          generation: this.vnnmap.generation,
          srvid,
          data,
        }),
      );
      this.stats.clientPacketsSent++;
      c.send(packet);
    }
  }

  private internalMessage(srvid: bigint, data: Uint8Array): void {
    if (srvid === Srvid.ELECTION) {
      const em = electionPayload.decode(data);
      this.election.onElectionMessage({
        numConnected: em.numConnected,
        priorityTime: timevalToMs(em.priorityTime),
        pnn: em.pnn,
        nodeFlags: em.nodeFlags,
      });
    } else if (srvid === Srvid.LEADER) {
      this.election.onLeaderBroadcast(u32Payload.decode(data));
    } else if (srvid === Srvid.TAKEOVER_RUN) {
      const m = srvidMessagePayload.decode(data);
      this.recovery.takeoverRunRequest(m.pnn, m.srvid);
    } else if (srvid === Srvid.DISABLE_RECOVERIES || srvid === Srvid.DISABLE_TAKEOVER_RUNS) {
      // Every node's recovery daemon answers these (the tool waits for each connected node):
      // our PNN means done, a negative errno means refused.
      const m = disableMessagePayload.decode(data);
      const result =
        srvid === Srvid.DISABLE_RECOVERIES
          ? this.recovery.disableRecoveries(m.pnn, m.timeout)
          : this.recovery.disableTakeoverRuns(m.timeout);
      if (m.srvid !== 0n) this.sendMessage(m.pnn, m.srvid, i32Payload.encode(result));
    } else if (srvid === Srvid.DISABLE_IP_CHECK) {
      this.recovery.disableIpCheck(u32Payload.decode(data));
    } else if (srvid === Srvid.REBALANCE_NODE) {
      this.recovery.rebalanceNode(u32Payload.decode(data));
    } else if (srvid === Srvid.BANNING) {
      this.recovery.banningMessage(u32Payload.decode(data));
    }
  }

  private sendElection(d: ElectionData): void {
    this.sendMessage(
      DestNode.BROADCAST_ALL,
      Srvid.ELECTION,
      electionPayload.encode({
        numConnected: d.numConnected,
        priorityTime: timevalFromMs(d.priorityTime),
        pnn: d.pnn,
        nodeFlags: d.nodeFlags,
      }),
    );
  }

  private fromNode(pnn: number, frame: Buffer): void {
    let packet: Packet;
    try {
      packet = decodePacket(frame);
    } catch (err) {
      const e = err as ProtocolError;
      this.log.error(`Dropped bad packet from node ${pnn}: ${e.message}`);
      if (e instanceof FramingError) this.transport.kill(pnn, 'framing error');
      return;
    }
    const h = packet.header;
    this.stats.nodePacketsRecv++;
    if (packet.operation === Operation.REQ_KEEPALIVE) this.stats.keepalivePacketsRecv++;
    else if (packet.operation === Operation.REQ_CONTROL) this.stats.node.reqControl++;
    else if (packet.operation === Operation.REPLY_CONTROL) this.stats.node.replyControl++;
    else if (packet.operation === Operation.REQ_MESSAGE) this.stats.node.reqMessage++;
    if (h.srcnode !== pnn && packet.operation !== Operation.REQ_KEEPALIVE) {
      this.log.error(`Dropped packet from node ${pnn} claiming to come from ${h.srcnode}`);
      return;
    }
    switch (packet.operation) {
      case Operation.REQ_CONTROL: {
        const req = packet;
        void this.localControl(req, pnn).then((r) => {
          if ((req.flags & ControlFlag.NOREPLY) !== 0) return;
          this.send(
            pnn,
            encodeReplyControl({
              destnode: pnn,
              srcnode: this.pnn,
              reqid: h.reqid,
              generation: this.vnnmap.generation,
              status: r.status,
              ...(r.data === undefined ? {} : { data: r.data }),
              ...(r.errorMessage === undefined ? {} : { errorMessage: r.errorMessage }),
            }),
          );
        });
        return;
      }
      case Operation.REPLY_CONTROL: {
        const p = this.pending.get(h.reqid);
        if (p === undefined || p.node !== pnn) return;
        this.pending.delete(h.reqid);
        clearTimeout(p.timer);
        p.done(packet);
        return;
      }
      case Operation.REQ_MESSAGE:
        this.deliverMessage(packet.srvid, packet.data, pnn);
        return;
      case Operation.REQ_KEEPALIVE:
        // Counted by the transport; here only the version check.
        this.checkPeerVersion(pnn, packet.version, packet.uptime);
        return;
      default:
        this.log.debug(`Ignored packet operation ${packet.operation} from node ${pnn}`);
    }
  }

  /** Our version as keepalives carry it (CTDB_TEST_SAMBA_VERSION overrides, as in CTDB). */
  private readonly version = ((): number => {
    const m = /^(\d+)\.(\d+)/.exec(process.env.CTDB_TEST_SAMBA_VERSION ?? '');
    return m === null ? keepaliveVersion(4, 17) : keepaliveVersion(Number(m[1]), Number(m[2]));
  })();

  /**
   * Mixed versions are refused unless AllowMixedVersions: the daemon with the shorter uptime
   * (or, on equal uptime, the lower version) shuts down.
   */
  private checkPeerVersion(
    pnn: number,
    version: number | undefined,
    uptime: number | undefined,
  ): void {
    if (this.tunables.value('AllowMixedVersions') !== 0 || this.shuttingDown) return;
    if (version === undefined || uptime === undefined) {
      this.log.error(`Keepalive without version from node ${pnn} - shutting down`);
      void this.shutdown();
      return;
    }
    if (version === this.version) return;
    const ours = Math.floor((Date.now() - this.startTime) / 1000);
    if (ours < uptime || (ours === uptime && this.version < version)) {
      this.log.error(
        `Version mismatch with node ${pnn} (0x${version.toString(16)} vs 0x${this.version.toString(16)}) - shutting down`,
      );
      void this.shutdown();
    }
  }

  /** SET_BAN_STATE on ourselves. */
  ban(seconds: number): void {
    clearTimeout(this.banTimer);
    this.banTimer = undefined;
    const self = this.nodeMap.self;
    if (seconds === 0) {
      if ((self.flags & NodeFlag.BANNED) !== 0) {
        this.log.notice('Unbanning this node');
        this.setSelfFlags(self.flags & ~NodeFlag.BANNED);
      }
      return;
    }
    this.log.notice(`Banning this node for ${seconds} seconds`);
    const wasBanned = (self.flags & NodeFlag.BANNED) !== 0;
    this.setSelfFlags(self.flags | NodeFlag.BANNED);
    if (!wasBanned) this.becomeInactive();
    this.banTimer = setTimeout(() => {
      this.banTimer = undefined;
      this.log.notice('Banning timed out');
      this.setSelfFlags(this.nodeMap.self.flags & ~NodeFlag.BANNED);
    }, seconds * 1000);
  }

  get leader(): number {
    return this.election.leader;
  }
}
