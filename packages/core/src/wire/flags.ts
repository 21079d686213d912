/** Bits of the call req/res and continue frames' `flags:1` field. */
export const CallFlags = {
  /** More fragments of this message follow. */
  MoreFragments: 0b0000_0001,
  /** Streaming timeout semantics (time to first response frame). Only valid on call req/res. */
  Streaming: 0b0000_0010,
} as const;

/** Call res `code:1` values. Any non-zero code is an application error. */
export enum ResponseCode {
  Ok = 0x00,
  Error = 0x01,
}
