// NAT gateway and LVS groups: which node leads a group, which nodes LVS balances over, and the
// `ctdb_natgw` / `ctdb_lvs` helper behaviour built on those choices.
export { GroupError, GroupNodesFileMissingError, GroupNodesFileSyntaxError } from './errors.js';
export { NodeStatusUnavailableError } from './errors.js';
export { parseGroupNodes, readGroupNodes, type GroupMember } from './nodes-file.js';
export { parseNodeStatusMachine, type NodeState } from './nodestatus.js';
export { selectLvsLeader, selectLvsNodes, selectNatgwLeader } from './select.js';
export { GROUPS, GROUP_SUBCOMMANDS, runGroupHelper, type GroupKind } from './helper.js';
