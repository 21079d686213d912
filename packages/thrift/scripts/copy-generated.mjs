// Copies the committed generated Thrift code (src/gen/**/*.js and .d.ts) into dist/gen after tsc:
// tsc compiles only TypeScript, and dist/*.js require the generated modules beside them.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'gen');
const to = join(root, 'dist', 'gen');
if (!existsSync(from)) throw new Error(`copy-generated: ${from} is missing`);
cpSync(from, to, { recursive: true });
