// Firewall helpers for eventscripts: iptables/ip6tables under CTDB's flock, idempotent rules
// and chains, blocking a released public address, and ipvsadm for LVS.
export {
  iptables,
  iptablesStatus,
  iptablesLockFile,
  familyOf,
  hasRule,
  ensureRule,
  removeRule,
  ensureChain,
  removeChain,
  listChainRules,
  IPTABLES_LOCK_WAIT_S,
  type IpFamilyName,
  type IptablesOptions,
  type RuleLocation,
} from './iptables.js';
export { blockIp, unblockIp, unblockIpIfMarked, isBlockMarked } from './ip-block.js';
export {
  addVirtualService,
  deleteVirtualService,
  addRealServer,
  deleteRealServer,
  clearIpvs,
  listIpvs,
  type IpvsOptions,
} from './ipvs.js';
