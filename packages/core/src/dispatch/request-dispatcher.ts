import { BadRequestError } from '../errors/protocol-errors';
import type { Handler } from './handler';
import type { Request } from './request';

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
 * Routes requests to handlers by endpoint (arg1). Unmatched endpoints go to the FALLBACK rule if
 * one is registered, else to `notFound`, which answers bad request naming the endpoint.
 */
export class RequestDispatcher {
  static readonly FALLBACK: typeof FALLBACK = FALLBACK;

  private readonly routes = new Map<string, Route>();
  private fallback: Route | undefined;

  /** Default for unknown endpoints: a bad request error naming service and endpoint. */
  notFound: Handler = (request) => {
    throw new BadRequestError(`no handler for service "${request.service}" and endpoint "${request.endpoint}"`);
  };

  /**
   * Registers `handler` for `rule` (an endpoint name, or RequestDispatcher.FALLBACK).
   * Registering a rule again replaces its handler.
   */
  register(rule: string | typeof FALLBACK, handler: Handler, options: RegisterOptions = {}): this {
    const route: Route = { handler, scheme: options.scheme };
    if (rule === FALLBACK) this.fallback = route;
    else this.routes.set(rule, route);
    return this;
  }

  /** `register` as a decorator-like helper: `dispatcher.route('echo')(handler)`. */
  route(rule: string | typeof FALLBACK, options: RegisterOptions = {}): <H extends Handler>(handler: H) => H {
    return (handler) => {
      this.register(rule, handler, options);
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

  /** Runs the matching handler (or notFound) for a request; the caller turns the outcome into frames. */
  dispatch(request: Request): ReturnType<Handler> {
    const route = this.resolve(request.endpoint);
    if (route === undefined) return this.notFound(request);
    if (route.scheme !== undefined && route.scheme !== request.scheme) {
      throw new BadRequestError(
        `endpoint "${request.endpoint}" expects arg scheme "${route.scheme}" but the call uses "${request.scheme}"`,
      );
    }
    return route.handler(request);
  }
}
