// The daemon's entry point for the public-IP controls: decode the request data, call the
// NodeIps handler, encode the reply. The daemon routes an opcode here when ipControlOpcodes
// has it; status and data go straight into REPLY_CONTROL.
import { Control, ControlFlag } from '../protocol/index.js';
import { TakeoverError } from './errors.js';
import type { NodeIps } from './node-ips.js';
import {
  addrInfoPayload,
  connectionPayload,
  ifacePayload,
  publicIpInfoPayload,
  publicIpListPayload,
  sockAddrPayload,
  tickleListPayload,
} from './wire.js';
import { ifaceListPayload, publicIpPayload } from '../protocol/index.js';

export interface IpControlReply {
  /** REPLY_CONTROL status: 0 success, -1 failure (CTDB's value for these controls). */
  readonly status: number;
  readonly data: Uint8Array;
  /** Text for the reply's error field when status ≠ 0. */
  readonly error?: string;
}

/** The opcodes dispatchIpControl answers. */
export const ipControlOpcodes: ReadonlySet<number> = new Set([
  Control.RELEASE_IP,
  Control.TAKEOVER_IP,
  Control.GET_PUBLIC_IPS,
  Control.GET_PUBLIC_IP_INFO,
  Control.GET_IFACES,
  Control.SET_IFACE_LINK_STATE,
  Control.ADD_PUBLIC_IP,
  Control.DEL_PUBLIC_IP,
  Control.RELOAD_PUBLIC_IPS,
  Control.SEND_GRATUITOUS_ARP,
  Control.TCP_CLIENT,
  Control.TCP_ADD,
  Control.TCP_ADD_DELAYED_UPDATE,
  Control.TCP_REMOVE,
  Control.GET_TCP_TICKLE_LIST,
  Control.SET_TCP_TICKLE_LIST,
  Control.IPREALLOCATED,
]);

const EMPTY = new Uint8Array(0);

async function handle(
  ips: NodeIps,
  opcode: number,
  data: Uint8Array,
  flags: number,
): Promise<Uint8Array | number> {
  switch (opcode) {
    case Control.RELEASE_IP:
      await ips.releaseIp(publicIpPayload.decode(data));
      return EMPTY;
    case Control.TAKEOVER_IP:
      await ips.takeoverIp(publicIpPayload.decode(data));
      return EMPTY;
    case Control.GET_PUBLIC_IPS:
      return publicIpListPayload.encode(
        ips.getPublicIps((flags & ControlFlag.PUBLIC_IP_ONLY_AVAILABLE) !== 0),
      );
    case Control.GET_PUBLIC_IP_INFO:
      return publicIpInfoPayload.encode(ips.getPublicIpInfo(sockAddrPayload.decode(data)));
    case Control.GET_IFACES:
      return ifaceListPayload.encode(ips.getIfaces());
    case Control.SET_IFACE_LINK_STATE:
      ips.setIfaceLinkState(ifacePayload.decode(data));
      return EMPTY;
    case Control.ADD_PUBLIC_IP:
      ips.addPublicIp(addrInfoPayload.decode(data));
      return EMPTY;
    case Control.DEL_PUBLIC_IP:
      ips.delPublicIp(addrInfoPayload.decode(data));
      return EMPTY;
    case Control.RELOAD_PUBLIC_IPS:
      await ips.reloadPublicIps();
      return EMPTY;
    case Control.SEND_GRATUITOUS_ARP:
      ips.sendGratuitousArp(addrInfoPayload.decode(data));
      return EMPTY;
    case Control.TCP_CLIENT:
      ips.tcpClient(connectionPayload.decode(data));
      return EMPTY;
    case Control.TCP_ADD:
      ips.tcpAdd(connectionPayload.decode(data), false);
      return EMPTY;
    case Control.TCP_ADD_DELAYED_UPDATE:
      ips.tcpAdd(connectionPayload.decode(data), true);
      return EMPTY;
    case Control.TCP_REMOVE:
      ips.tcpRemove(connectionPayload.decode(data));
      return EMPTY;
    case Control.GET_TCP_TICKLE_LIST:
      return tickleListPayload.encode(ips.getTcpTickleList(sockAddrPayload.decode(data)));
    case Control.SET_TCP_TICKLE_LIST:
      return ips.setTcpTickleList(tickleListPayload.decode(data));
    case Control.IPREALLOCATED:
      await ips.ipreallocated();
      return EMPTY;
    default:
      throw new TakeoverError(`opcode ${opcode} is not a public-IP control`);
  }
}

/**
 * Runs one public-IP control. Never throws: bad data and handler failures become status -1
 * with the reason in `error` (a daemon never crashes on input).
 */
export async function dispatchIpControl(
  ips: NodeIps,
  opcode: number,
  data: Uint8Array,
  flags = 0,
): Promise<IpControlReply> {
  try {
    const out = await handle(ips, opcode, data, flags);
    return typeof out === 'number' ? { status: out, data: EMPTY } : { status: 0, data: out };
  } catch (e) {
    return { status: -1, data: EMPTY, error: e instanceof Error ? e.message : String(e) };
  }
}
