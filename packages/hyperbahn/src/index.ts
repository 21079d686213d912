/**
 * @tchannel/hyperbahn: advertise a @tchannel/core service to Hyperbahn routers and keep it
 * advertised (WIRE-NOTES "Hyperbahn advertise"; tchannel-python `advertise`, `AdvertiseError`).
 */
export {
  advertise,
  advertiseOnce,
  unadvertise,
  DEFAULT_ADVERTISE_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  type AdvertiseOnceOptions,
  type AdvertiseOptions,
  type AdvertiseTarget,
} from './advertise';
// A type only: advertisements are made by advertise(), never constructed by users.
export type { Advertisement, AdvertisementEvents, AdvertisementStopReason } from './advertisement';
export { AdvertiseError, type AdvertiseErrorOptions, type AdvertiseFailure } from './advertise-error';
export {
  DEFAULT_ADVERTISE_BACKOFF,
  DEFAULT_ADVERTISE_INTERVAL,
  type AdvertiseBackoff,
  type AdvertiseInterval,
} from './backoff';
export {
  HYPERBAHN_SERVICE,
  HyperbahnEndpoint,
  advertiseRequestBody,
  readAdvertiseRequest,
  readAdvertiseResponse,
  type AdvertiseRequestBody,
  type AdvertiseResponseBody,
  type AdvertisedService,
} from './hyperbahn-wire';
export { type AdvertiseResult } from './router-call';
