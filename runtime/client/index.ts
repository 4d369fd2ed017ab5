// Client of ctdbd's Unix socket.
// - ctdbdSocketPath(env): $CTDB_SOCKET, else $CTDB_BASE/run/ctdbd.socket in test mode, else
//   /run/ctdb/ctdbd.socket.
// - CtdbClient.connect(pathOrEnv, { timeoutMs, onProtocolError, onDisconnect }): connects and
//   learns the local PNN (GET_PNN). Typed control calls (getNodemap, getVnnmap, getTunable, …),
//   raw(opcode, destnode, data, {srvid, flags, timeoutMs}) for anything else,
//   setMessageHandler(srvid, fn) (REGISTER_SRVID + local routing), sendMessage(dest, srvid, data).
// - CtdbConnection: the socket, framing, reqid matching and deadlines underneath.
// - Errors: ConnectError, ControlTransportError ("Control X failed to node N, ret=E"),
//   ControlStatusError ("Control X failed, ret=S"), DisconnectedError; each has `errno`.
export * from './client.js';
export * from './connection.js';
export * from './errors.js';
export * from './socket-path.js';
