// Micro benchmark of the checksum module, run against the built package:
//   cd packages/core && npx tsc -p tsconfig.build.json && node scripts/bench-checksums.mjs
// Prints median throughput of five timed rounds per function and input size.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const entry = new URL('../dist/checksum/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error(`${entry.pathname} not found: build first (npx tsc -p tsconfig.build.json).`);
  process.exit(1);
}
const { crc32, crc32c, crc32cPortable, crc32cIsNative, fingerprint32 } = require(entry.pathname);
console.log(`crc32c uses the native sse4_crc32 addon for inputs of 512 B or more: ${crc32cIsNative()}`);

function bench(name, fn, buf, minBytes = 512 * 2 ** 20) {
  const iters = Math.max(1, Math.ceil(minBytes / Math.max(buf.length, 1)));
  for (let i = 0; i < Math.ceil(iters / 5); i++) fn(buf); // warm up
  const rates = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) sink = (sink + fn(buf)) >>> 0;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push((buf.length * iters) / seconds / 2 ** 30);
  }
  rates.sort((a, b) => a - b);
  console.log(`${name.padEnd(14)} ${String(buf.length).padStart(8)} B  ${rates[2].toFixed(2)} GiB/s  (sink ${sink})`);
}

for (const size of [64, 1024, 64 * 1024, 2 ** 20]) {
  const buf = randomBytes(size);
  bench('crc32 (zlib)', crc32, buf);
  bench('crc32c', crc32c, buf);
  bench('crc32c (JS)', crc32cPortable, buf);
  bench('fingerprint32', fingerprint32, buf);
}
