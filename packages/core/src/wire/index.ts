export { FrameType, isFrameType } from './frame-type';
export { ErrorCode, isErrorCode } from './error-code';
export { ChecksumType, isChecksumType, checksumValueSize } from './checksum-type';
export { CallFlags, ResponseCode } from './flags';
export { type Tracing, EMPTY_TRACING, TRACE_FLAG_ENABLED, TRACING_SIZE } from './tracing';
export { type Headers, MAX_TRANSPORT_HEADERS, MAX_TRANSPORT_HEADER_KEY_BYTES } from './headers';
export {
  FRAME_HEADER_SIZE,
  MAX_FRAME_SIZE,
  NO_MESSAGE_ID,
  PROTOCOL_VERSION,
  type Frame,
  type InitFrame,
  type CallFrame,
  type CallRequestFrame,
  type CallResponseFrame,
  type CallContinueFrame,
  type CancelFrame,
  type ClaimFrame,
  type PingFrame,
  type ErrorFrame,
  type FrameChecksum,
} from './frames';
export { encodeFrame, encodeFrameParts, decodeFrame, frameSize, readFrameHeader, type FrameHeader } from './frame-codec';
export { createFrameSplitter, type FrameSplitter } from './frame-splitter';
