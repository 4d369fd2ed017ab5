// Networking for eventscripts through rtnetlink (package `netlink`): links with carrier and
// operstate, bonds, addresses with broadcast and IPv6 DAD, routes in numbered tables, policy
// rules, route-cache flush, CTDB's interface check, and public-address add/remove with CTDB's
// messages. All failures are typed (NetlinkError with errno, operation and object).
export * from './ip.js';
export { rtnl, closeRtnl } from './rtnl.js';
export {
  listLinks,
  findLink,
  getLink,
  findLinkByIndex,
  setLinkUp,
  ifindexOf,
  OPERSTATES,
  type LinkInfo,
  type OperState,
} from './links.js';
export {
  listAddresses,
  findAddress,
  addAddress,
  deleteAddress,
  waitForDad,
  type AddressInfo,
  type ListAddressOptions,
  type DadResult,
} from './addresses.js';
export {
  addRoute,
  replaceRoute,
  deleteRoute,
  listRoutes,
  flushTable,
  MAIN_TABLE,
  type RouteSpec,
  type RouteInfo,
} from './routes.js';
export { addRule, deleteRule, listRules, type RuleSpec, type RuleInfo } from './rules.js';
export { flushRouteCache } from './route-cache.js';
export { parseBondStatus, readBondStatus, type BondStatus } from './bonding.js';
export { interfaceMonitor, realInterfaceName, type InterfaceStatus } from './interface-monitor.js';
export {
  addIpToIface,
  deleteIpFromIface,
  ipMaskbitsIface,
  dropIp,
  type PublicIpOptions,
} from './public-ip.js';
