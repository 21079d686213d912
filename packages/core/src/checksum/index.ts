export { crc32 } from './crc32';
export { crc32c, crc32cPortable, crc32cIsNative } from './crc32c';
export { fingerprint32 } from './farmhash32';
export { computeChecksum } from './frame-checksum';
