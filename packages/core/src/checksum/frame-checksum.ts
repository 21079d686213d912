import { ChecksumType } from '../wire/checksum-type';
import { crc32 } from './crc32';
import { crc32c } from './crc32c';
import { fingerprint32 } from './farmhash32';

/**
 * The checksum value to put in (or expect in) a call frame whose arg chunks are `chunks`, when the
 * previous frame of the same message carried `prior` (0 for a message's first frame).
 *
 * Only arg chunk bytes are covered, not their length prefixes or any header. Frames chain: for the
 * CRC types the result is the CRC of every arg byte of the message so far, so a receiver can
 * verify each frame as it arrives.
 *
 * - `None`: always 0.
 * - `Crc32`, `Crc32c`: the CRC continued from `prior` over each chunk in order (so `prior` is
 *   returned unchanged when there are no chunks).
 * - `Farmhash32`: tchannel-node compatibility, quirk included. tchannel-node 4.x (v2/checksum.js)
 *   runs `csum = farmhash.fingerprint32(arg, csum)` for each arg chunk, but the `farmhash`
 *   package's `fingerprint32` takes no seed and silently ignores its second argument. So the value
 *   is the Fingerprint32 of the frame's LAST chunk alone (even when that chunk is empty), with no
 *   chaining between chunks or frames, and earlier chunks are not covered at all. With no chunks
 *   the loop never runs and tchannel-node yields `prior`; we do the same.
 *
 * @returns an unsigned 32-bit integer.
 */
export function computeChecksum(type: ChecksumType, chunks: readonly Uint8Array[], prior: number): number {
  switch (type) {
    case ChecksumType.None:
      return 0;
    case ChecksumType.Crc32: {
      let csum = prior >>> 0;
      for (const chunk of chunks) csum = crc32(chunk, csum);
      return csum;
    }
    case ChecksumType.Crc32c: {
      let csum = prior >>> 0;
      for (const chunk of chunks) csum = crc32c(chunk, csum);
      return csum;
    }
    case ChecksumType.Farmhash32: {
      const last = chunks[chunks.length - 1];
      return last === undefined ? prior >>> 0 : fingerprint32(last);
    }
  }
  // Unreachable for a ChecksumType; guards casts from unvalidated wire bytes (see isChecksumType).
  throw new RangeError(`unknown checksum type ${String(type)}`);
}
