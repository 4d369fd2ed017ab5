// Services and checks: start/stop a service as CTDB picks the tool, listening checks for
// TCP ports and Unix sockets, and per-script state directories.
export { service, serviceCommand, type ServiceOp, type ServiceOptions } from './service.js';
export {
  listeningTcpPorts,
  isTcpPortListening,
  firstTcpPortNotListening,
  isUnixSocketListening,
} from './listening.js';
export { scriptVarDir, setupStateDir } from './state-dir.js';
