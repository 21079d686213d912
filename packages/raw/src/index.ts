export {
  RawArgScheme,
  RAW,
  type RawCallOptions,
  type RawResponse,
  type RawRequest,
  type RawHandler,
  type RawHandlerResult,
} from './raw-arg-scheme';
