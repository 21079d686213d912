/**
 * Checksum types (docs/protocol.md, "csumtype:1"). All but `None` carry a 4-byte value.
 */
export enum ChecksumType {
  /** No checksum; the `csum:4` field is absent. */
  None = 0x00,
  /** IEEE CRC-32 as zlib computes it (the spec's "adler-32" label is wrong; every peer uses CRC-32). */
  Crc32 = 0x01,
  /** Farmhash Fingerprint32, as tchannel-node computes it (last arg chunk of the frame only). */
  Farmhash32 = 0x02,
  /** CRC-32C (Castagnoli). Our default, as in tchannel-node and tchannel-python. */
  Crc32c = 0x03,
}

/** Whether `value` is a checksum type protocol v2 defines. */
export function isChecksumType(value: number): value is ChecksumType {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

/** Bytes taken by the `csum` field for this type: 0 for none, otherwise 4. */
export function checksumValueSize(type: ChecksumType): 0 | 4 {
  return type === ChecksumType.None ? 0 : 4;
}
