/**
 * An arg scheme (the `as` transport header): how arg2 and arg3 carry a call's headers and body.
 * Scheme packages (@tchannel/raw, json, thrift) implement it and register with a channel; core
 * itself never imports one.
 */
export interface ArgScheme {
  /** The `as` header value: 'raw', 'json', 'thrift'... */
  readonly name: string;
  /** Decodes arg2 of a request or response served under this scheme, for `request.getHeader()`. */
  decodeHeaders?(arg2: Buffer): unknown;
  /** Decodes arg3, for `request.getBody()`. */
  decodeBody?(arg3: Buffer): unknown;
  /** Encodes a plain handler's `headers` into arg2 (see HandlerResult). */
  encodeHeaders?(headers: unknown): Buffer;
  /** Encodes a plain handler's `body` into arg3 (see HandlerResult). */
  encodeBody?(body: unknown): Buffer;
}
