export { Request } from './request';
export { Response, type ArgSource } from './response';
export { type Handler, type PlainHandler, type StreamingHandler, type HandlerResult, isStreamingHandler } from './handler';
export { RequestDispatcher, type RegisterOptions, type Route } from './request-dispatcher';
