import { TChannelApplicationError } from '../errors/application-error';
import {
  AlreadyListeningError,
  ArgTooLargeError,
  ChannelClosedError,
  InvalidChecksumError,
  InvalidEndpointError,
  InvalidErrorCodeError,
  InvalidMessageError,
  NoAvailablePeerError,
  ReadError,
  StreamingError,
} from '../errors/local-errors';
import {
  BadRequestError,
  BusyError,
  CancelledError,
  DeclinedError,
  FatalProtocolError,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UnexpectedError,
  UnhealthyError,
  protocolErrorFor,
  type ProtocolErrorOptions,
} from '../errors/protocol-errors';
import { TChannelError, type TChannelErrorOptions } from '../errors/tchannel-error';
import { UnknownSchemeError } from '../scheme/scheme-registry';
import { ErrorCode, isErrorCode } from '../wire/error-code';
import { toTransferable } from './sync-protocol';

/**
 * A TChannelError flattened to cloneable data so the main thread can rebuild the same class:
 * `kind` is the most derived class core knows (TChannelError.kind of it or of an ancestor).
 */
export interface SerializedError {
  readonly kind: string;
  readonly code: number;
  readonly message: string;
  /** The stack in the worker, kept as the rebuilt error's `cause`. */
  readonly stack?: string | undefined;
  /** ProtocolError context. */
  readonly id?: number | undefined;
  readonly service?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly peer?: string | undefined;
  /** TChannelApplicationError fields (raw bytes). */
  readonly responseCode?: number | undefined;
  readonly headers?: ArrayBuffer | undefined;
  readonly body?: ArrayBuffer | undefined;
  /** InvalidErrorCodeError's code. */
  readonly receivedCode?: number | undefined;
}

type ProtocolErrorClass = new (message: string, options?: ProtocolErrorOptions) => ProtocolError;
type LocalErrorClass = new (message: string, options?: TChannelErrorOptions) => TChannelError;

const PROTOCOL_CLASSES: ReadonlyMap<string, ProtocolErrorClass> = new Map<string, ProtocolErrorClass>(
  [ProtocolError, TimeoutError, CancelledError, BusyError, DeclinedError, UnexpectedError, BadRequestError, NetworkError, UnhealthyError, FatalProtocolError].map(
    (cls) => [cls.kind, cls],
  ),
);

const LOCAL_CLASSES: ReadonlyMap<string, LocalErrorClass> = new Map<string, LocalErrorClass>(
  [
    TChannelError,
    InvalidMessageError,
    InvalidChecksumError,
    InvalidEndpointError,
    ReadError,
    StreamingError,
    NoAvailablePeerError,
    AlreadyListeningError,
    ArgTooLargeError,
    ChannelClosedError,
    UnknownSchemeError,
  ].map((cls) => [cls.kind, cls]),
);

const SPECIAL_KINDS: ReadonlySet<string> = new Set([TChannelApplicationError.kind, InvalidErrorCodeError.kind]);

function knownKind(kind: string): boolean {
  return PROTOCOL_CLASSES.has(kind) || LOCAL_CLASSES.has(kind) || SPECIAL_KINDS.has(kind);
}

/** The most derived class of `error` this module can rebuild (subclasses from other packages map to their core ancestor). */
function kindOf(error: TChannelError): string {
  for (let ctor: unknown = error.constructor; typeof ctor === 'function'; ctor = Object.getPrototypeOf(ctor)) {
    const kind = (ctor as { kind?: unknown }).kind;
    if (typeof kind === 'string' && knownKind(kind)) return kind;
  }
  return TChannelError.kind;
}

function bytesOf(value: unknown): ArrayBuffer | undefined {
  return ArrayBuffer.isView(value) ? toTransferable(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) : undefined;
}

/**
 * Flattens a thrown value in the worker. Anything that is not a TChannelError becomes an
 * unexpected TChannelError carrying its message. Returns the error and the buffers to transfer.
 */
export function serializeError(value: unknown): { readonly error: SerializedError; readonly transfer: ArrayBuffer[] } {
  const error = TChannelError.from(value);
  const source = value instanceof Error ? value : error;
  const base = { kind: kindOf(error), code: error.code, message: error.message, stack: source.stack };
  if (error instanceof ProtocolError) {
    return { error: { ...base, id: error.id, service: error.service, endpoint: error.endpoint, peer: error.peer }, transfer: [] };
  }
  if (error instanceof TChannelApplicationError) {
    const app = error as TChannelApplicationError<unknown, unknown>;
    const headers = bytesOf(app.headers);
    const body = bytesOf(app.body);
    const transfer = [headers, body].filter((b): b is ArrayBuffer => b !== undefined);
    return { error: { ...base, responseCode: app.responseCode, headers, body }, transfer };
  }
  if (error instanceof InvalidErrorCodeError) return { error: { ...base, receivedCode: error.receivedCode }, transfer: [] };
  return { error: base, transfer: [] };
}

/**
 * Rebuilds, in the calling thread, the TChannelError subclass the worker raised, so `instanceof`
 * and `code` behave as for an async call. The worker-side stack becomes the error's `cause`.
 */
export function reviveError(serialized: SerializedError): TChannelError {
  const { kind, code, message } = serialized;
  const remote = new Error(message);
  remote.name = `${kind} (in sync worker)`;
  if (serialized.stack !== undefined) remote.stack = serialized.stack;
  if (kind === TChannelApplicationError.kind) {
    const headers = Buffer.from(serialized.headers ?? new ArrayBuffer(0));
    const body = Buffer.from(serialized.body ?? new ArrayBuffer(0));
    return new TChannelApplicationError(message, serialized.responseCode ?? 1, headers, body);
  }
  if (kind === InvalidErrorCodeError.kind) return new InvalidErrorCodeError(serialized.receivedCode ?? code, { cause: remote });
  const errorCode: ErrorCode | undefined = isErrorCode(code) ? code : undefined;
  const protocolClass = PROTOCOL_CLASSES.get(kind);
  if (protocolClass !== undefined) {
    const options: ProtocolErrorOptions = {
      cause: remote,
      ...(serialized.id === undefined ? {} : { id: serialized.id }),
      ...(serialized.service === undefined ? {} : { service: serialized.service }),
      ...(serialized.endpoint === undefined ? {} : { endpoint: serialized.endpoint }),
      ...(serialized.peer === undefined ? {} : { peer: serialized.peer }),
    };
    // A plain ProtocolError with a defined code is rebuilt as the class for that code.
    if (protocolClass === ProtocolError && errorCode !== undefined && errorCode !== ErrorCode.Invalid) {
      return protocolErrorFor(errorCode, message, options);
    }
    return new protocolClass(message, { ...options, code: code as ErrorCode });
  }
  const localClass = LOCAL_CLASSES.get(kind) ?? TChannelError;
  return new localClass(message, { code: errorCode ?? ErrorCode.UnexpectedError, cause: remote });
}
