// Which nodes may host public addresses at all. CTDB decides this outside the algorithms:
// a node only reports addresses as available while it is RUNNING and its own flags carry no
// INACTIVE (deleted, disconnected, banned, stopped) or DISABLED (unhealthy, disabled) bit.

import { NODE_FLAGS_DISABLED, NODE_FLAGS_INACTIVE, Runstate } from '../../protocol/constants.js';

export function nodeCanHostIps(flags: number, runstate: number = Runstate.RUNNING): boolean {
  return (
    runstate === Runstate.RUNNING && (flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DISABLED)) === 0
  );
}
