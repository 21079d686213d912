import { ErrorCode } from '../wire/error-code';

/** Options shared by every TChannel error constructor. */
export interface TChannelErrorOptions {
  /** The protocol error code this error maps to when it must cross the wire. */
  readonly code?: ErrorCode;
  /** The underlying failure, if any. */
  readonly cause?: unknown;
}

const KINDS = Symbol.for('@tchannel/core.error-kinds');

interface Branded {
  readonly [KINDS]?: readonly string[];
}

/**
 * The root of every error tchannel-ts raises. Each error carries the protocol `code` it maps to
 * (docs/protocol.md, error frame codes), so a server can answer any failure with the right frame.
 *
 * `instanceof` is brand-based: it holds across jest's module sandboxes and duplicate installs of
 * this package, where prototype identity does not.
 */
export class TChannelError extends Error {
  /** Stable class name used for the brand; subclasses override it. */
  static readonly kind: string = 'TChannelError';
  override name = 'TChannelError';
  readonly code: ErrorCode;

  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? ErrorCode.UnexpectedError;
    const kinds: string[] = [];
    for (let ctor = new.target as unknown; isErrorClass(ctor); ctor = Object.getPrototypeOf(ctor)) {
      kinds.push(ctor.kind);
      if (ctor === TChannelError) break;
    }
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
    this.name = new.target.kind;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Branded)[KINDS];
    return kinds !== undefined ? kinds.includes(this.kind) : Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** Wraps any thrown value as a TChannelError (unexpected error unless it already is one). */
  static from(value: unknown): TChannelError {
    if (value instanceof TChannelError) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new TChannelError(message, { code: ErrorCode.UnexpectedError, cause: value });
  }
}

function isErrorClass(value: unknown): value is typeof TChannelError {
  return typeof value === 'function' && typeof (value as { kind?: unknown }).kind === 'string';
}
