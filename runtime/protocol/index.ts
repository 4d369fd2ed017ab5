// CTDB 4.17 wire protocol: packet header, operations, framing, the control table, packet
// codecs and payload layouts. Pure functions and small classes; no I/O, no logging.
//
// API summary
// - Constants (constants.ts): CTDB_MAGIC, CTDB_PROTOCOL, HEADER_SIZE (32), PACKET_ALIGNMENT (8),
//   Operation.{REQ_CALL..REQ_TUNNEL}, operationName(op), DestNode.{CURRENT_NODE, BROADCAST_ALL,
//   BROADCAST_ACTIVE, BROADCAST_CONNECTED, MULTICAST}, UNKNOWN_PNN, INVALID_GENERATION,
//   NodeFlag.*, NODE_FLAGS_DISABLED, NODE_FLAGS_INACTIVE, Capability.*, CAPABILITIES_DEFAULT,
//   RecoveryMode, RUNSTATES/Runstate, DebugLevel, debugLevelName(n), parseDebugLevel(text),
//   Srvid.* (bigint), ControlFlag.*.
// - Control table (controls.ts): CONTROLS (every opcode 0..162 with name and standing
//   'active' | 'obsolete' | 'removed' | 'head'), Control.NAME → opcode, controlInfo(op),
//   controlLabel(op), isImplementedIn417(op) — false means "answer with status -1".
// - Framing (framing.ts): new FrameParser({ onFrame, onError }, { maxLength }).push(chunk).
//   Handles split and coalesced packets; a length < 32 drops that packet (onError with a
//   ProtocolError, parsing continues); length 0 or > maxLength → FramingError and state CLOSED
//   (close the connection). States: FrameState.AWAIT_LENGTH | AWAIT_BODY | CLOSED.
// - Packets (packets.ts): decodePacket(frame) → Packet, a union discriminated by `operation`:
//   ReqControl {opcode, srvid, clientId, flags, data}, ReplyControl {status, data,
//   errorMessage}, ReqMessage {srvid, data}, ReqKeepalive {version, uptime}, ReplyError
//   {status, message}, OtherPacket {body} (calls, dmaster, tunnel). Every packet has `header`
//   (PacketHeader: length, magic, version, generation, operation, destnode, srcnode, reqid).
//   Encoders: encodeReqControl, encodeReplyControl, encodeReqMessage, encodeReqKeepalive,
//   encodeReplyError({destnode, reqid, generation?, srcnode?, …}, {align?: 8}) → Uint8Array,
//   padded to 8 with the padded length written (CTDB's rule); keepaliveVersion(4, 17).
//   peekHeader(frame) reads the header alone.
// - Payloads (payloads.ts): Codec<T> {encode, decode} for u32/i32/u64/string/stringn, uptime,
//   nodeMap, vnnMap, tunable (SET_TUNABLE), varList (LIST_TUNABLES), tunableList
//   (GET_ALL_TUNABLES, TUNABLE_LIST_ORDER = struct order), banState, nodeFlagChange, election,
//   pnnMessage (LEADER/BANNING), srvidMessage, disableMessage, publicIp; Timeval helpers.
//   CONTROL_LAYOUTS (control-payloads.ts): per control, the request codec and whether the
//   answer is a reply payload or the reply status.
// - Addresses (sockaddr.ts): SockAddr {family, address, port}, sockAddr(text), the 28-byte
//   union read/write, formatIPv6 (inet_ntop style).
// - Errors (errors.ts): every decoder throws only ProtocolError {code, field}; FramingError
//   (a subclass) marks a stream that cannot continue.
export * from './constants.js';
export * from './controls.js';
export * from './control-payloads.js';
export * from './errors.js';
export * from './framing.js';
export * from './header.js';
export * from './packets.js';
export * from './payloads.js';
export * from './sockaddr.js';
export { Reader, Writer, cString, cStringBytes } from './cursor.js';
