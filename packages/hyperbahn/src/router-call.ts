import { ProtocolError, TChannelError, type TChannel } from '@tchannel/core';
import {
  JSON_SCHEME,
  JsonApplicationError,
  JsonDecodeError,
  decodeJsonBody,
  decodeJsonHeaders,
  describeErrorBody,
  encodeJsonBody,
  encodeJsonHeaders,
} from '@tchannel/json';
import type { AdvertiseFailure } from './advertise-error';
import {
  HYPERBAHN_SERVICE,
  HyperbahnEndpoint,
  readAdvertiseResponse,
  type AdvertiseRequestBody,
} from './hyperbahn-wire';

/** What a successful advertisement returns. */
export interface AdvertiseResult {
  /** How many connections the router's ring holds to this instance (the router's `connectionCount`). */
  readonly connectionCount: number;
  /** The router that answered. */
  readonly router: string;
}

/** The outcome of one call to the routers: a value, or the failure with the router it came from. */
export type RouterCallOutcome<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & AdvertiseFailure);

/** Options of one call to the routers. */
export interface RouterCallOptions {
  readonly timeout: number;
  readonly signal?: AbortSignal | undefined;
  /** Routers the call may move on to after the first: busy, declined and connection failures go to the next. */
  readonly retryLimit: number;
}

/**
 * Calls a router's `ad` or `unad`. The routers are the channel's peers for service `hyperbahn`,
 * so no hostport is given: the channel chooses one and retries on another router after busy,
 * declined or a connection failure (`re: c`), within the same deadline.
 *
 * The json codecs are used directly rather than a JsonArgScheme: constructing one registers it on
 * the channel, which would clash with the user's own (one `json` scheme per channel).
 *
 * Never throws: a failure is returned with the router it came from (known for error frames,
 * timeouts and application errors; not when no router could be reached).
 */
export async function callRouter(
  channel: TChannel,
  endpoint: HyperbahnEndpoint,
  body: AdvertiseRequestBody,
  options: RouterCallOptions,
): Promise<RouterCallOutcome<AdvertiseResult>> {
  let response;
  try {
    response = await channel.call({
      scheme: JSON_SCHEME,
      service: HYPERBAHN_SERVICE,
      arg1: endpoint,
      arg2: encodeJsonHeaders(undefined),
      arg3: encodeJsonBody(body),
      timeout: options.timeout,
      retryLimit: options.retryLimit,
      signal: options.signal,
      // Periodic housekeeping is not worth a sampled trace (tchannel-node sends trace: false too).
      trace: false,
    });
  } catch (err) {
    const error = TChannelError.from(err);
    return { ok: false, router: error instanceof ProtocolError ? error.peer : undefined, error };
  }
  const router = response.hostPort;
  const fail = (error: TChannelError): RouterCallOutcome<AdvertiseResult> => ({ ok: false, router, error });
  let decoded: unknown;
  try {
    decodeJsonHeaders(response.arg2);
    decoded = decodeJsonBody(response.arg3);
  } catch (err) {
    if (!(err instanceof JsonDecodeError)) throw err;
    return fail(new JsonDecodeError(`${err.message} in router ${router}'s answer to "${endpoint}"`, { arg: err.arg, cause: err }));
  }
  if (response.code !== 0) {
    return fail(
      new JsonApplicationError(decoded, {
        responseCode: response.code,
        message: `router ${router} answered "${endpoint}" with an application error: ${describeErrorBody(decoded)}`,
      }),
    );
  }
  // unad's answer carries nothing we use; a router may answer it with anything.
  if (endpoint === HyperbahnEndpoint.Unadvertise) return { ok: true, value: { connectionCount: 0, router } };
  const answer = readAdvertiseResponse(decoded);
  if (answer === undefined) {
    const shown = JSON.stringify(decoded).slice(0, 200);
    return fail(new TChannelError(`router ${router} answered "${endpoint}" with ${shown}, not {"connectionCount":N}`));
  }
  return { ok: true, value: { connectionCount: answer.connectionCount, router } };
}

/** The last failure of each router, the least recent first. */
export class FailureLog {
  private readonly byRouter = new Map<string | undefined, AdvertiseFailure>();
  private latest: AdvertiseFailure | undefined;

  add(failure: AdvertiseFailure): void {
    // Delete first so a router that fails again moves to the end (the freshest news last).
    this.byRouter.delete(failure.router);
    this.byRouter.set(failure.router, failure);
    this.latest = failure;
  }

  get last(): AdvertiseFailure | undefined {
    return this.latest;
  }

  all(): AdvertiseFailure[] {
    return [...this.byRouter.values()];
  }
}
