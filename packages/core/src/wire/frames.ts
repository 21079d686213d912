import type { ChecksumType } from './checksum-type';
import type { FrameType } from './frame-type';
import type { Headers } from './headers';
import type { Tracing } from './tracing';

/**
 * Frames are plain readonly data; `frame-codec.ts` turns them into bytes and back.
 * Arg chunks in decoded frames are views into the received bytes, not copies.
 */

/** `size:2 type:1 reserved:1 id:4 reserved:8` */
export const FRAME_HEADER_SIZE = 16;
/** `size` is 16 bits and counts the header: no frame exceeds this. */
export const MAX_FRAME_SIZE = 0xffff;
/** Message id reserved for errors about no particular message. */
export const NO_MESSAGE_ID = 0xffffffff;
/** The protocol version this library speaks. */
export const PROTOCOL_VERSION = 2;

/** `version:2 nh:2 (key~2 value~2){nh}` */
export interface InitFrame {
  readonly type: FrameType.InitRequest | FrameType.InitResponse;
  readonly id: number;
  readonly version: number;
  readonly headers: Headers;
}

/** The checksum of a call or continue frame: `csumtype:1 (csum:4){0,1}`. */
export interface FrameChecksum {
  readonly checksumType: ChecksumType;
  /** Unused (0) for ChecksumType.None. */
  readonly checksum: number;
}

/**
 * `flags:1 ttl:4 tracing:25 service~1 nh:1 (hk~1 hv~1){nh} csumtype:1 (csum:4){0,1} arg1~2 arg2~2 arg3~2`
 * `args` holds the arg chunks present in this frame (1 to 3; the last may continue in the next frame).
 */
export interface CallRequestFrame extends FrameChecksum {
  readonly type: FrameType.CallRequest;
  readonly id: number;
  readonly flags: number;
  readonly ttl: number;
  readonly tracing: Tracing;
  readonly service: string;
  readonly headers: Headers;
  readonly args: readonly Buffer[];
}

/** `flags:1 code:1 tracing:25 nh:1 (hk~1 hv~1){nh} csumtype:1 (csum:4){0,1} arg1~2 arg2~2 arg3~2` */
export interface CallResponseFrame extends FrameChecksum {
  readonly type: FrameType.CallResponse;
  readonly id: number;
  readonly flags: number;
  readonly code: number;
  readonly tracing: Tracing;
  readonly headers: Headers;
  readonly args: readonly Buffer[];
}

/** `flags:1 csumtype:1 (csum:4){0,1} {continuation}`: arg chunks continuing the message. */
export interface CallContinueFrame extends FrameChecksum {
  readonly type: FrameType.CallRequestContinue | FrameType.CallResponseContinue;
  readonly id: number;
  readonly flags: number;
  readonly args: readonly Buffer[];
}

/** `ttl:4 tracing:25 why~2` */
export interface CancelFrame {
  readonly type: FrameType.Cancel;
  readonly id: number;
  readonly ttl: number;
  readonly tracing: Tracing;
  readonly why: string;
}

/** `ttl:4 tracing:25` */
export interface ClaimFrame {
  readonly type: FrameType.Claim;
  readonly id: number;
  readonly ttl: number;
  readonly tracing: Tracing;
}

/** No body. */
export interface PingFrame {
  readonly type: FrameType.PingRequest | FrameType.PingResponse;
  readonly id: number;
}

/** `code:1 tracing:25 message~2`. `code` is kept as sent, even if the spec does not define it. */
export interface ErrorFrame {
  readonly type: FrameType.Error;
  readonly id: number;
  readonly code: number;
  readonly tracing: Tracing;
  readonly message: string;
}

export type CallFrame = CallRequestFrame | CallResponseFrame | CallContinueFrame;

export type Frame = InitFrame | CallRequestFrame | CallResponseFrame | CallContinueFrame | CancelFrame | ClaimFrame | PingFrame | ErrorFrame;
