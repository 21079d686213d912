export { Request } from './request';
export { type Handler, type HandlerResult } from './handler';
export { RequestDispatcher, type RegisterOptions, type Route } from './request-dispatcher';
