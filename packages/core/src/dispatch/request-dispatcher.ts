import { BadRequestError } from '../errors/protocol-errors';
import { isStreamingHandler, type Handler, type HandlerResult, type PlainHandler, type StreamingHandler } from './handler';
import type { Request } from './request';
import type { Response } from './response';

/** The rule that matches requests no other rule matches. */
const FALLBACK: unique symbol = Symbol('RequestDispatcher.FALLBACK');

/** A registered endpoint. */
export interface Route {
  readonly handler: Handler;
  /** The `as` value requests must carry; any scheme is accepted when absent. */
  readonly scheme: string | undefined;
}

export interface RegisterOptions {
  /** Only requests with this `as` header reach the handler; others get bad request. */
  readonly scheme?: string;
}

/**
 * Routes requests to handlers by endpoint (arg1). Handlers come in two forms (see handler.ts): a
 * plain `(request) => result` called once the request is complete, or `(request, response)` called
 * as soon as arg1 arrives, for streaming. Unmatched endpoints go to the FALLBACK rule if
 * one is registered, else to `notFound`, which answers bad request naming the endpoint.
 */
export class RequestDispatcher {
  static readonly FALLBACK: typeof FALLBACK = FALLBACK;

  private readonly routes = new Map<string, Route>();
  private fallback: Route | undefined;

  /** Default for unknown endpoints: a bad request error naming service and endpoint. */
  notFound: PlainHandler = (request) => {
    throw new BadRequestError(`no handler for service "${request.service}" and endpoint "${request.endpoint}"`);
  };

  /**
   * Registers `handler` for `rule` (an endpoint name, or RequestDispatcher.FALLBACK).
   * Registering a rule again replaces its handler.
   */
  register(rule: string | typeof FALLBACK, handler: PlainHandler, options?: RegisterOptions): this;
  register(rule: string | typeof FALLBACK, handler: StreamingHandler, options?: RegisterOptions): this;
  register(rule: string | typeof FALLBACK, handler: Handler, options: RegisterOptions = {}): this {
    const route: Route = { handler, scheme: options.scheme };
    if (rule === FALLBACK) this.fallback = route;
    else this.routes.set(rule, route);
    return this;
  }

  /** `register` as a decorator-like helper: `dispatcher.route('echo')(handler)`. */
  route(rule: string | typeof FALLBACK, options: RegisterOptions = {}): <H extends Handler>(handler: H) => H {
    return (handler) => {
      this.register(rule, handler as PlainHandler, options);
      return handler;
    };
  }

  /** The route for an endpoint, the fallback, or undefined. */
  resolve(endpoint: string): Route | undefined {
    return this.routes.get(endpoint) ?? this.fallback;
  }

  /** Registered endpoint names. */
  endpoints(): string[] {
    return [...this.routes.keys()];
  }

  /**
   * Runs the matching handler (or notFound) for a request. A plain handler's result is returned
   * for the caller to send whole; a streaming handler answers through `response` (flushed here if
   * it returns without flushing) and `undefined` is returned.
   * @throws whatever the handler throws; BadRequestError for a scheme mismatch
   */
  async dispatch(request: Request, response: Response): Promise<HandlerResult | undefined> {
    const route = this.resolve(request.endpoint);
    if (route !== undefined && route.scheme !== undefined && route.scheme !== request.scheme) {
      throw new BadRequestError(
        `endpoint "${request.endpoint}" expects arg scheme "${route.scheme}" but the call uses "${request.scheme}"`,
      );
    }
    const handler = route?.handler ?? this.notFound;
    if (isStreamingHandler(handler)) {
      await handler(request, response);
      await response.flush();
      return undefined;
    }
    if (!request.isComplete) {
      await request.getHeaderBytes();
      await request.getBodyBytes();
    }
    return handler(request);
  }
}
