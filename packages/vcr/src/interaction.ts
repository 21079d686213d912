import { isUtf8 as bufferIsUtf8 } from 'node:buffer';

/**
 * The arg scheme of a recorded request, as tchannel-python's VCR proxy numbers it
 * (`enum ArgScheme { RAW, JSON, THRIFT }` in its proxy.thrift).
 */
export const CassetteArgScheme = {
  /** `as: raw`. */
  Raw: 0,
  /** `as: json`. */
  Json: 1,
  /** `as: thrift`. */
  Thrift: 2,
} as const;

export type CassetteArgScheme = (typeof CassetteArgScheme)[keyof typeof CassetteArgScheme];

const SCHEME_NAMES: readonly string[] = ['raw', 'json', 'thrift'];

/** The cassette number of an `as` header value, or undefined for a scheme cassettes cannot hold. */
export function argSchemeOf(scheme: string): CassetteArgScheme | undefined {
  const index = SCHEME_NAMES.indexOf(scheme);
  return index < 0 ? undefined : (index as CassetteArgScheme);
}

/** The `as` header value of a cassette arg scheme number. */
export function schemeName(argScheme: CassetteArgScheme): string {
  return SCHEME_NAMES[argScheme] ?? 'raw';
}

/** A transport header of a recorded request. */
export interface TransportHeader {
  readonly key: string;
  readonly value: string;
}

/** A recorded request (tchannel-python's VCR `Request` struct). */
export interface CassetteRequest {
  readonly serviceName: string;
  /** arg1. */
  readonly endpoint: string;
  /** arg2, as sent. */
  readonly headers: Buffer;
  /** arg3, as sent. */
  readonly body: Buffer;
  /** The `hostport` the call was pinned to, or '' when the channel chose a peer. */
  readonly hostPort: string;
  /**
   * Peers the call could go to when it was not pinned. Interceptors cannot see a channel's peer
   * list, so tchannel-ts records the peer that answered.
   */
  readonly knownPeers: readonly string[];
  readonly argScheme: CassetteArgScheme;
  /** Extra transport headers the caller passed (`as`, `cn`, `re` are implied by the call). */
  readonly transportHeaders: readonly TransportHeader[];
}

/** A recorded response (tchannel-python's VCR `Response` struct). Error frames are never recorded. */
export interface CassetteResponse {
  /** Call res code: 0 ok, 1 application error. */
  readonly code: number;
  /** arg2, as received. */
  readonly headers: Buffer;
  /** arg3, as received. */
  readonly body: Buffer;
}

/** A request and the response it got. */
export interface Interaction {
  readonly request: CassetteRequest;
  readonly response: CassetteResponse;
}

/** One line naming a request, for error messages: `svc::endpoint (json) headers=… body=…`. */
export function describeRequest(request: CassetteRequest): string {
  return `${request.serviceName}::${request.endpoint} (${schemeName(request.argScheme)}) headers=${preview(request.headers)} body=${preview(request.body)}`;
}

const PREVIEW_BYTES = 64;

function preview(bytes: Buffer): string {
  const shown = bytes.subarray(0, PREVIEW_BYTES);
  // Cut mid-character, a UTF-8 text shows U+FFFD at the end: still readable.
  const text = isUtf8(bytes) ? JSON.stringify(shown.toString('utf8')) : `<${shown.toString('hex')}>`;
  return bytes.length > PREVIEW_BYTES ? `${text}… (${bytes.length} bytes)` : text;
}

/** Whether `bytes` is valid UTF-8 (so a string read back as UTF-8 gives the same bytes). */
export function isUtf8(bytes: Uint8Array): boolean {
  return bufferIsUtf8(bytes);
}
