/**
 * @tchannel/vcr: record TChannel calls into YAML cassettes and replay them in tests
 * (tchannel-python's `tchannel.testing.vcr`, same file format). Plugs into a channel's outgoing
 * interceptors; core is not patched.
 */
export { Cassette, type CassetteOptions } from './cassette';
export { useCassette, withCassette, type CassetteBody } from './use-cassette';
export { RecordMode, parseRecordMode, recordPolicy, type RecordPolicy } from './record-mode';
export {
  createRequestMatcher,
  headersKey,
  DEFAULT_MATCH_ON,
  MATCH_FIELDS,
  TRACING_HEADER_PREFIX,
  type MatchField,
  type RequestMatcher,
} from './request-matcher';
export {
  CassetteArgScheme,
  argSchemeOf,
  schemeName,
  describeRequest,
  type CassetteRequest,
  type CassetteResponse,
  type Interaction,
  type TransportHeader,
} from './interaction';
export { parseCassette, serializeCassette, CASSETTE_VERSION } from './cassette-yaml';
export { VcrError, CassetteFormatError, UnexpectedCallError } from './vcr-errors';
