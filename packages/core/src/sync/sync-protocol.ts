import type { MessagePort } from 'node:worker_threads';
import type { TChannelOptions } from '../channel/channel';
import type { Headers } from '../wire/headers';
import type { SyncRequestOptions } from './sync-client';
import type { SerializedError } from './sync-errors';

/**
 * The messages between a TChannelSyncClient (main thread) and its worker. Everything here is
 * structured-cloneable: byte args travel as exact-size ArrayBuffers (transferred, not copied) or
 * strings, errors as SerializedError.
 *
 * Signalling: the worker posts a message on the port, THEN increments `control[SEQ]` and notifies
 * it. The main thread reads `control[SEQ]`, drains the port with `receiveMessageOnPort`, and only
 * then `Atomics.wait`s for the word to change; a message posted after the drain has bumped the
 * word, so the wait returns at once and nothing is missed.
 */

/** Index of the completion counter in the control Int32Array. */
export const SEQ = 0;
/** Int32 words in the control SharedArrayBuffer. */
export const CONTROL_WORDS = 1;

/** The channel options the worker builds its TChannel from (all cloneable). */
export type SyncChannelOptions = Pick<
  TChannelOptions,
  'name' | 'processName' | 'knownPeers' | 'trace' | 'timeout' | 'checksumType' | 'maxMessageBytes' | 'initTimeout'
>;

/** What the worker receives as `workerData`. */
export interface SyncWorkerData {
  /** Main → worker requests arrive here; worker → main results leave from here. */
  readonly port: MessagePort;
  /** Int32Array over a SharedArrayBuffer; see SEQ. */
  readonly control: Int32Array;
  readonly channel: SyncChannelOptions;
  /** How the bootstrap loads the worker module (see worker-loader.ts). */
  readonly boot: { readonly entry: string; readonly typescript: boolean };
}

/** An arg as it crosses the thread boundary. */
export type WireArg = string | ArrayBuffer;

/** Main → worker: start a call. */
/** A call for the worker: the request's options, with its scheme settled, and the three args. */
export interface CallMessage extends Omit<SyncRequestOptions, 'scheme'> {
  readonly type: 'call';
  readonly id: number;
  readonly scheme: string;
  readonly arg1: WireArg;
  readonly arg2: WireArg;
  readonly arg3: WireArg;
}

/** Main → worker: close the channel (failing calls still running after `gracePeriod`), then exit. */
export interface CloseMessage {
  readonly type: 'close';
  readonly gracePeriod: number;
}

export type MainToWorker = CallMessage | CloseMessage;

/** Worker → main: a call finished with a call res (any code). */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly code: number;
  readonly arg2: ArrayBuffer;
  readonly arg3: ArrayBuffer;
  readonly headers: Headers;
  readonly hostPort: string;
}

/** Worker → main: a call failed. */
export interface FailureMessage {
  readonly type: 'failure';
  readonly id: number;
  readonly error: SerializedError;
}

/** Worker → main: the channel is closed and every call has been answered; the worker exits. */
export interface ClosedMessage {
  readonly type: 'closed';
}

/** Worker → main: the worker cannot go on (failed to load, uncaught exception). */
export interface FatalMessage {
  readonly type: 'fatal';
  readonly error: SerializedError;
}

export type WorkerToMain = ResultMessage | FailureMessage | ClosedMessage | FatalMessage;

/**
 * An exact-size copy of `bytes` in its own ArrayBuffer, to transfer. Cloning the Uint8Array itself
 * would copy its whole backing store, which for a pooled Buffer is the 8 KiB pool.
 */
export function toTransferable(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
