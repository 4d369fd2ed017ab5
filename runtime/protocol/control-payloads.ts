// What each node-management control carries: the request data and where the answer is (a
// payload in the reply data, or the reply status itself, as CTDB does for PING, GET_PID,
// GET_PNN, GET_RECMODE). Daemon and client both read this, so both agree on every layout.
import { Control } from './controls.js';
import {
  banStatePayload,
  ifaceListPayload,
  i32Payload,
  nodeFlagChangePayload,
  nodeMapPayload,
  stringPayload,
  stringnPayload,
  tunableListPayload,
  tunablePayload,
  u32Payload,
  uptimePayload,
  varListPayload,
  vnnMapPayload,
  type Codec,
} from './payloads.js';

/** `'none'`: empty data. `'status'`: the result is the reply's status field. */
function layout<Req, Rep>(
  request: Codec<Req> | 'none',
  reply: Codec<Rep> | 'none' | 'status',
): { readonly request: Codec<Req> | 'none'; readonly reply: Codec<Rep> | 'none' | 'status' } {
  return { request, reply };
}

export const CONTROL_LAYOUTS = {
  [Control.PROCESS_EXISTS]: layout(i32Payload, 'status'),
  [Control.PING]: layout('none', 'status'), // status = number of clients
  [Control.GETVNNMAP]: layout('none', vnnMapPayload),
  [Control.SETVNNMAP]: layout(vnnMapPayload, 'none'),
  [Control.GET_DEBUG]: layout('none', u32Payload),
  [Control.SET_DEBUG]: layout(u32Payload, 'none'),
  [Control.GET_RECMODE]: layout('none', 'status'), // status = recmode
  [Control.SET_RECMODE]: layout(u32Payload, 'none'),
  [Control.REGISTER_SRVID]: layout('none', 'none'), // the srvid is in the control header
  [Control.DEREGISTER_SRVID]: layout('none', 'none'),
  [Control.GET_PID]: layout('none', 'status'), // status = pid
  [Control.GET_PNN]: layout('none', 'status'), // status = pnn
  [Control.SHUTDOWN]: layout('none', 'none'),
  [Control.STARTUP]: layout('none', 'none'),
  [Control.SET_TUNABLE]: layout(tunablePayload, 'none'), // status 1 = obsolete tunable
  [Control.GET_TUNABLE]: layout(stringnPayload, u32Payload),
  [Control.LIST_TUNABLES]: layout('none', varListPayload),
  [Control.MODIFY_FLAGS]: layout(nodeFlagChangePayload, 'none'),
  [Control.GET_ALL_TUNABLES]: layout('none', tunableListPayload),
  [Control.UPTIME]: layout('none', uptimePayload),
  [Control.START_RECOVERY]: layout('none', 'none'),
  [Control.END_RECOVERY]: layout('none', 'none'),
  [Control.RELOAD_NODES_FILE]: layout('none', 'none'),
  [Control.GET_CAPABILITIES]: layout('none', u32Payload),
  [Control.RECD_PING]: layout('none', 'none'),
  [Control.GET_NODEMAP]: layout('none', nodeMapPayload),
  [Control.GET_RECLOCK_FILE]: layout('none', stringPayload),
  [Control.STOP_NODE]: layout('none', 'none'),
  [Control.CONTINUE_NODE]: layout('none', 'none'),
  [Control.SET_LMASTERROLE]: layout(u32Payload, 'none'),
  [Control.SET_RECMASTERROLE]: layout(u32Payload, 'none'),
  [Control.SET_BAN_STATE]: layout(banStatePayload, 'none'),
  [Control.GET_BAN_STATE]: layout('none', banStatePayload),
  [Control.GET_RUNSTATE]: layout('none', u32Payload),
  [Control.GET_NODES_FILE]: layout('none', nodeMapPayload),
  [Control.GET_IFACES]: layout('none', ifaceListPayload),
  [Control.DISABLE_NODE]: layout('none', 'none'),
  [Control.ENABLE_NODE]: layout('none', 'none'),
} as const;
