// A cluster of in-process nodes for takeover-run tests: each node is the real NodeIps handler
// set behind the real control dispatcher and wire codecs, with a fake event runner (that edits
// a per-node "kernel" address set, as 10.interface would) and a recording announcer. These
// stand in for ctdbd and the event daemon, which are separate processes in the product.
import {
  Control,
  NodeFlag,
  Runstate,
  Srvid,
  TUNABLE_LIST_ORDER,
  nodeMapPayload,
  sockAddr,
  tunableListPayload,
  type TunableList,
  type TunableListName,
} from '../../runtime/protocol/index.js';
import { dispatchIpControl } from '../../runtime/takeover/controls.js';
import {
  NodeIps,
  type Announcer,
  type EventRunner,
  type IpEvent,
} from '../../runtime/takeover/node-ips.js';
import {
  PublicAddressTable,
  parsePublicAddresses,
} from '../../runtime/takeover/public-addresses.js';
import type { ClusterControls } from '../../runtime/takeover/run.js';

export interface EventCall {
  readonly event: IpEvent;
  readonly args: readonly string[];
}

export class FakeNode {
  readonly kernel = new Set<string>();
  readonly events: EventCall[] = [];
  readonly announced: { iface: string; address: string; tickles: number }[] = [];
  readonly clientMessages: { srvid: bigint; text: string }[] = [];
  readonly bans: string[] = [];
  flags = 0;
  runstate: number = Runstate.RUNNING;
  /** Events that fail (status 1) on this node. */
  readonly failingEvents = new Set<IpEvent>();
  readonly ips: NodeIps;

  constructor(
    readonly pnn: number,
    publicAddresses: string,
  ) {
    const runner: EventRunner = {
      run: (event, args) => {
        this.events.push({ event, args });
        if (this.failingEvents.has(event)) return Promise.resolve(1);
        if (event === 'takeip') this.kernel.add(args[1]!);
        if (event === 'releaseip') this.kernel.delete(args[1]!);
        return Promise.resolve(0);
      },
    };
    const announcer: Announcer = {
      start: (iface, address, tickles) => {
        this.announced.push({ iface, address, tickles: tickles.length });
        return { stop: () => undefined };
      },
    };
    this.ips = new NodeIps({
      events: runner,
      kernel: { checked: true, hasAddress: (a) => Promise.resolve(this.kernel.has(a)) },
      announcer,
      table: new PublicAddressTable(parsePublicAddresses(publicAddresses, `node${pnn}`)),
      host: {
        pnn,
        localState: () => ({ runstate: this.runstate, flags: this.flags }),
        notifyLocalClients: (srvid, data) =>
          this.clientMessages.push({
            srvid,
            text: new TextDecoder().decode(data).replace(/\0$/, ''),
          }),
        banSelf: (reason) => this.bans.push(reason),
        sendTcpUpdate: () => undefined,
      },
    });
  }

  /** Addresses this node's kernel holds, sorted. */
  held(): string[] {
    return [...this.kernel].sort();
  }
}

export function tunables(overrides: Partial<Record<TunableListName, number>> = {}): TunableList {
  const t = Object.fromEntries(TUNABLE_LIST_ORDER.map((n) => [n, 0])) as Record<
    TunableListName,
    number
  >;
  t.TakeoverTimeout = 9;
  t.EnableBans = 1;
  t.IPAllocAlgorithm = 2;
  return { ...t, ...overrides };
}

/** ClusterControls over FakeNodes; node `leader` is "this" node. */
export class FakeCluster implements ClusterControls {
  readonly messages: { dest: number; srvid: bigint; data: Uint8Array }[] = [];
  readonly controls: { dest: number; opcode: number }[] = [];
  tunables: TunableList = tunables();
  /** (pnn, opcode) pairs whose controls fail with status -1. */
  readonly failing = new Set<string>();

  constructor(
    readonly nodes: FakeNode[],
    readonly pnn = 0,
  ) {}

  static create(publicAddresses: string, count: number): FakeCluster {
    return new FakeCluster(
      Array.from({ length: count }, (_, i) => new FakeNode(i, publicAddresses)),
    );
  }

  node(pnn: number): FakeNode {
    return this.nodes[pnn]!;
  }

  async control(
    dest: number,
    opcode: number,
    data: Uint8Array,
    opts: { timeoutMs: number; flags?: number },
  ): Promise<Uint8Array> {
    this.controls.push({ dest, opcode });
    const node = this.nodes[dest];
    if (node === undefined || (node.flags & NodeFlag.DISCONNECTED) !== 0) {
      throw new Error(`node ${dest} is disconnected`);
    }
    if (this.failing.has(`${dest}:${opcode}`)) throw new Error(`control ${opcode} failed`);
    if (opcode === Control.GET_ALL_TUNABLES) return tunableListPayload.encode(this.tunables);
    if (opcode === Control.GET_NODEMAP) {
      return nodeMapPayload.encode({
        nodes: this.nodes.map((n) => ({
          pnn: n.pnn,
          flags: n.flags,
          addr: sockAddr(`127.0.0.${n.pnn + 1}`),
        })),
      });
    }
    const reply = await dispatchIpControl(node.ips, opcode, data, opts.flags ?? 0);
    if (reply.status !== 0) throw new Error(reply.error ?? `status ${reply.status}`);
    return reply.data;
  }

  message(dest: number, srvid: bigint, data: Uint8Array): void {
    this.messages.push({ dest, srvid, data });
  }

  /** PNNs that got SRVID_BANNING credits (the data is the PNN). */
  banned(): number[] {
    return this.messages
      .filter((m) => m.srvid === Srvid.BANNING)
      .map((m) => new DataView(m.data.buffer, m.data.byteOffset).getUint32(0, true));
  }

  /** address → the nodes whose kernel holds it. */
  holders(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const n of this.nodes) {
      for (const a of n.kernel) out.set(a, [...(out.get(a) ?? []), n.pnn]);
    }
    return out;
  }
}
