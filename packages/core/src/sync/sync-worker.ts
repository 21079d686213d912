/**
 * The sync client's worker thread: owns a real TChannel and runs its event loop while the calling
 * thread blocks. Loaded by the bootstrap in worker-loader.ts, never imported. Protocol and
 * signalling: sync-protocol.ts.
 */
import { workerData } from 'node:worker_threads';
import type { CallOptions } from '../channel/call-options';
import { TChannel } from '../channel/channel';
import { serializeError } from './sync-errors';
import { SEQ, toTransferable, type CallMessage, type MainToWorker, type SyncWorkerData, type WireArg, type WorkerToMain } from './sync-protocol';

const { port, control, channel: channelOptions } = workerData as SyncWorkerData;

/** Posts, then bumps and notifies the control word (the order the main thread relies on). */
function post(message: WorkerToMain, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(control, SEQ, 1);
  Atomics.notify(control, SEQ);
}

function die(value: unknown): never {
  const { error, transfer } = serializeError(value);
  post({ type: 'fatal', error }, transfer);
  port.close();
  process.exit(1);
}

process.on('uncaughtException', die);
process.on('unhandledRejection', die);

const channel = new TChannel(channelOptions);
const inflight = new Set<Promise<void>>();

function toArg(value: WireArg): Buffer | string {
  return typeof value === 'string' ? value : Buffer.from(value);
}

async function call(message: CallMessage): Promise<void> {
  const options: CallOptions = {
    scheme: message.scheme,
    service: message.service,
    arg1: toArg(message.arg1),
    arg2: toArg(message.arg2),
    arg3: toArg(message.arg3),
    hostport: message.hostport,
    timeout: message.timeout,
    retryOn: message.retryOn,
    retryLimit: message.retryLimit,
    headers: message.headers,
    checksumType: message.checksumType,
    trace: message.trace,
  };
  let outcome: { readonly message: WorkerToMain; readonly transfer: ArrayBuffer[] };
  try {
    const response = await channel.call(options);
    const arg2 = toTransferable(response.arg2);
    const arg3 = toTransferable(response.arg3);
    outcome = {
      message: { type: 'result', id: message.id, code: response.code, arg2, arg3, headers: { ...response.headers }, hostPort: response.hostPort },
      transfer: [arg2, arg3],
    };
  } catch (err) {
    const { error, transfer } = serializeError(err);
    outcome = { message: { type: 'failure', id: message.id, error }, transfer };
  }
  post(outcome.message, outcome.transfer);
}

/** Closes the channel, waits until every call has been answered, says so, and lets the thread end. */
async function close(gracePeriod: number): Promise<void> {
  await channel.close({ gracePeriod });
  await Promise.allSettled(inflight);
  post({ type: 'closed' });
  port.close();
}

port.on('message', (message: MainToWorker) => {
  if (message.type === 'close') {
    void close(message.gracePeriod);
    return;
  }
  const done = call(message).finally(() => inflight.delete(done));
  inflight.add(done);
});
