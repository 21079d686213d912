// The implementations under test: which child files to fork, and whether they can run here.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type ImplId = 'ours' | 'node' | 'grpc' | 'net';

export interface Impl {
  id: ImplId;
  label: string;
  serverFile: string;
  clientFile: string;
  /** Why this implementation cannot run here, or null when it can. */
  unavailable: string | null;
}

const IMPLS_DIR = __dirname;
/** bench/, where the package's own dependencies resolve from. */
const BENCH_DIR = path.resolve(__dirname, '..', '..');

function resolves(id: string): boolean {
  try {
    require.resolve(id, { paths: [BENCH_DIR] });
    return true;
  } catch {
    return false;
  }
}

function versionOf(pkg: string): string {
  try {
    const file = require.resolve(`${pkg}/package.json`, { paths: [BENCH_DIR] });
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string };
    return json.version ?? '?';
  } catch {
    return '?';
  }
}

function childFiles(id: ImplId): { serverFile: string; clientFile: string; missing: string | null } {
  const serverFile = path.join(IMPLS_DIR, `${id}-server.js`);
  const clientFile = path.join(IMPLS_DIR, `${id}-client.js`);
  const missing = [serverFile, clientFile].find((f) => !fs.existsSync(f));
  return { serverFile, clientFile, missing: missing ? `${path.relative(BENCH_DIR, missing)} was not built` : null };
}

function oursUnavailable(): string | null {
  const missing = ['@tchannel/core', '@tchannel/raw'].filter((p) => !resolves(p));
  if (missing.length > 0) {
    return `${missing.join(' and ')} not built yet (no dist/): run \`pnpm build\` at the repo root, then re-run`;
  }
  return null;
}

export function allImpls(): Impl[] {
  const defs: Array<{ id: ImplId; label: string; check: () => string | null }> = [
    { id: 'ours', label: 'tchannel-ts (ours)', check: oursUnavailable },
    {
      id: 'node',
      label: `tchannel-node ${versionOf('tchannel')}`,
      check: () => (resolves('tchannel') ? null : 'the tchannel package is not installed: run pnpm install'),
    },
    {
      id: 'grpc',
      label: `grpc-js ${versionOf('@grpc/grpc-js')}`,
      check: () => (resolves('@grpc/grpc-js') ? null : '@grpc/grpc-js is not installed: run pnpm install'),
    },
    { id: 'net', label: 'net ceiling', check: () => null },
  ];
  return defs.map(({ id, label, check }) => {
    const files = childFiles(id);
    return {
      id,
      label,
      serverFile: files.serverFile,
      clientFile: files.clientFile,
      unavailable: check() ?? files.missing,
    };
  });
}

export const IMPL_IDS: readonly ImplId[] = ['ours', 'node', 'grpc', 'net'];

const ALIASES: Record<string, ImplId> = {
  ours: 'ours',
  'tchannel-ts': 'ours',
  node: 'node',
  'tchannel-node': 'node',
  tchannel: 'node',
  grpc: 'grpc',
  'grpc-js': 'grpc',
  net: 'net',
};

export function parseImplId(name: string): ImplId | undefined {
  return ALIASES[name.trim().toLowerCase()];
}
