/**
 * @tchannel/json: the json arg scheme (uber/tchannel docs/json.md) for @tchannel/core.
 */
export {
  JsonArgScheme,
  JSON_SCHEME,
  type JsonCallOptions,
  type JsonResponse,
  type JsonRequest,
  type JsonHandler,
  type JsonHandlerResult,
} from './json-arg-scheme';
export {
  JsonApplicationError,
  JsonDecodeError,
  JsonEncodeError,
  describeErrorBody,
  type JsonApplicationErrorOptions,
  type JsonArg,
  type JsonCodecErrorOptions,
  type JsonHeaders,
} from './json-errors';
export { decodeJsonBody, decodeJsonHeaders, encodeJsonBody, encodeJsonHeaders } from './json-codec';
