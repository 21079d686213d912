/**
 * Frame types of TChannel protocol v2 (uber/tchannel docs/protocol.md, "type:1").
 */
export enum FrameType {
  /** First frame on every connection, sent by the initiator. */
  InitRequest = 0x01,
  /** The acceptor's answer to init req, naming the protocol version used. */
  InitResponse = 0x02,
  /** First frame of an RPC request. */
  CallRequest = 0x03,
  /** First frame of an RPC response. */
  CallResponse = 0x04,
  /** Further fragment of a call request. */
  CallRequestContinue = 0x13,
  /** Further fragment of a call response. */
  CallResponseContinue = 0x14,
  /** Asks the peer to stop work on an outstanding call req. */
  Cancel = 0xc0,
  /** Claims or cancels a redundant request (tail-at-scale backups). */
  Claim = 0xc1,
  /** Protocol-level liveness probe; always answered with ping res. */
  PingRequest = 0xd0,
  /** Answer to ping req. */
  PingResponse = 0xd1,
  /** Protocol-level error for a message id, or 0xFFFFFFFF for the connection. */
  Error = 0xff,
}

/** Whether `value` is one of the frame types protocol v2 defines. */
export function isFrameType(value: number): value is FrameType {
  return FrameType[value] !== undefined;
}
