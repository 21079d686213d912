import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * IEEE CRC-32 (the zlib/PNG/Ethernet CRC, reflected polynomial 0xedb88320) of `data`, continuing
 * from `prior`.
 *
 * This is checksum type 0x01 on the wire (the spec calls it "adler-32", but every peer computes
 * CRC-32). `prior` is a previous *finished* value, as in zlib's `crc32(data, value)` API, so
 * `crc32(b, crc32(a)) === crc32(a ++ b)`; that is how a frame continues the checksum of the frames
 * before it. `prior` defaults to 0, the CRC of no bytes.
 *
 * Delegates to Node's built-in `zlib.crc32` (Node ≥ 20.15), which is hardware accelerated.
 *
 * @returns the CRC as an unsigned 32-bit integer.
 */
export function crc32(data: Uint8Array, prior = 0): number {
  // Empty input must leave `prior` as it is. zlib.crc32 can instead return 0 for it: an empty view
  // whose ArrayBuffer has no backing store (e.g. `new TextEncoder().encode('')`) reaches zlib's
  // crc32() as a NULL pointer, and zlib answers `crc32(crc, NULL, 0)` with the initial value, 0.
  if (data.length === 0) return prior >>> 0;
  return zlibCrc32(data, prior >>> 0) >>> 0;
}
