// CTDB-specific helpers for eventscripts: the `ctdb` command line and its -X output, the
// ctdb-config helper and cached database options, the public_addresses and static-routes
// files, and the environment defaults CTDB's functions establish.
export * from './env.js';
export {
  ctdb,
  ctdbStatus,
  parseMachineOutput,
  ctdbPnn,
  ctdbIps,
  ctdbIfaces,
  ctdbSetIfaceLink,
  ctdbGratarp,
  ctdbGetTickles,
  ctdbUpdateTickles,
  ctdbCheckTcpPort,
  type CtdbCallOptions,
  type PublicIpRow,
  type IfaceRow,
  type TickleRow,
} from './cli.js';
export { ctdbConfigGet, ctdbDbOptions, type ConfigGetResult, type DbOptions } from './config.js';
export {
  parsePublicAddresses,
  readPublicAddresses,
  type PublicAddress,
} from './public-addresses.js';
export { parseStaticRoutes, type StaticRoute, type StaticRoutesParse } from './static-routes.js';
export { isFollowerOnly, myIpAddress } from './identity.js';
