import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SyncWorkerData } from './sync-protocol';

/**
 * How the sync worker loads its code.
 *
 * The worker is started from a small plain-JS bootstrap (`eval: true`) that `require`s the worker
 * module by absolute path: `sync-worker.js` next to this file when core runs from `dist/`, or
 * `sync-worker.ts` when it runs from its TypeScript sources (jest with ts-jest, or any
 * TypeScript loader: this file's own name then ends in `.ts`). A worker thread does not inherit
 * jest's transform, so in the source case the bootstrap first installs a `require` hook for `.ts`
 * that transpiles each file with the `typescript` package's `transpileModule` (per-file emit is
 * safe: the tsconfig sets `isolatedModules`). That keeps tests independent of a built, possibly
 * stale `dist/` and never writes to it; `typescript` is needed only in that source case (it is a
 * workspace devDependency), never at runtime from `dist/`.
 *
 * The bootstrap also reports a failure to load (no `typescript`, a module that throws) as a
 * `fatal` message and signals the control word, so a thread blocked in `result()` wakes with the
 * error instead of waiting forever.
 */

/**
 * A JS function expression `(fromDir) => void` that makes `require` load `.ts` files, resolving
 * `typescript` from `fromDir`. Exported for tests that start their own workers on the sources.
 * @internal
 */
export const TS_REQUIRE_HOOK_SOURCE = `function installTypeScriptRequireHook(fromDir) {
  const fs = require('node:fs');
  let ts;
  try {
    ts = require(require.resolve('typescript', { paths: [fromDir] }));
  } catch (error) {
    throw new Error('running @tchannel/core from its TypeScript sources in a worker needs the "typescript" package: ' + error.message);
  }
  const compilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    inlineSourceMap: true,
  };
  require.extensions['.ts'] = function compileTypeScript(module, filename) {
    const output = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename, compilerOptions });
    module._compile(output.outputText, filename);
  };
  process.setSourceMapsEnabled(true);
}`;

const BOOTSTRAP = `'use strict';
const { workerData } = require('node:worker_threads');
try {
  if (workerData.boot.typescript) (${TS_REQUIRE_HOOK_SOURCE})(require('node:path').dirname(workerData.boot.entry));
  require(workerData.boot.entry);
} catch (error) {
  const ctor = error !== null && typeof error === 'object' ? error.constructor : undefined;
  workerData.port.postMessage({
    type: 'fatal',
    error: {
      kind: ctor !== undefined && typeof ctor.kind === 'string' ? ctor.kind : 'TChannelError',
      code: typeof error?.code === 'number' ? error.code : 0x05,
      message: 'the sync client worker failed to start: ' + (error instanceof Error ? error.message : String(error)),
      stack: error instanceof Error ? error.stack : undefined,
    },
  });
  Atomics.add(workerData.control, 0, 1);
  Atomics.notify(workerData.control, 0);
  workerData.port.close();
}
`;

/** Whether this module was loaded from TypeScript sources rather than compiled JS. */
const FROM_TYPESCRIPT = __filename.endsWith('.ts');

/**
 * Starts the sync client's worker thread (see the comment at the top of this file).
 * `data.port` is transferred to the worker.
 * @internal
 */
export function startSyncWorker(data: Omit<SyncWorkerData, 'boot'>): Worker {
  const workerData: SyncWorkerData = {
    ...data,
    boot: { entry: join(__dirname, FROM_TYPESCRIPT ? 'sync-worker.ts' : 'sync-worker.js'), typescript: FROM_TYPESCRIPT },
  };
  return new Worker(BOOTSTRAP, { eval: true, workerData, transferList: [data.port] });
}
