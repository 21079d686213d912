// A fake Hyperbahn router for tests: a channel serving `ad` and `unad` on service `hyperbahn` with
// the json scheme, recording every call and the host_port each connection's init announced.
// Not part of the build (tsconfig.build.json excludes test-*.ts).
import { BusyError, DeclinedError, TChannel, UnexpectedError } from '@tchannel/core';
import { JsonApplicationError, JsonArgScheme, type JsonHeaders, type JsonRequest } from '@tchannel/json';
import { HYPERBAHN_SERVICE, HyperbahnEndpoint, readAdvertiseRequest } from './hyperbahn-wire';

/** How the router fails a call: an error frame (busy, declined, unexpected), a code 1 answer, or no answer in time. */
export type RouterFailure = 'busy' | 'declined' | 'unexpected' | 'app-error' | 'slow' | 'bad-answer';

export interface RecordedCall {
  readonly endpoint: string;
  readonly service: string;
  readonly scheme: string;
  readonly callerName: string | undefined;
  readonly headers: JsonHeaders;
  /** arg3 as received, undecoded. */
  readonly rawBody: string;
  readonly body: unknown;
  /** performance.now() when the call arrived. */
  readonly at: number;
  /** How the router answered it. */
  readonly failedWith: RouterFailure | undefined;
}

export class FakeRouter {
  readonly calls: RecordedCall[] = [];
  /** init host_port of each connection accepted, in order. */
  readonly announced: string[] = [];
  connectionCount = 3;
  private readonly failures: RouterFailure[] = [];
  private failAll: RouterFailure | undefined;

  private constructor(
    readonly channel: TChannel,
    readonly hostPort: string,
  ) {}

  static async start(name = 'hyperbahn'): Promise<FakeRouter> {
    const channel = new TChannel({ name });
    const json = new JsonArgScheme(channel);
    const hostPort = await channel.listen({ host: '127.0.0.1', port: 0 });
    const router = new FakeRouter(channel, hostPort);
    channel.on('connection', (connection) => {
      connection.ready.then(
        () => router.announced.push(connection.peer?.hostPort ?? '?'),
        () => undefined,
      );
    });
    for (const endpoint of [HyperbahnEndpoint.Advertise, HyperbahnEndpoint.Unadvertise]) {
      json.register(endpoint, (req: JsonRequest) => router.handle(req));
    }
    return router;
  }

  /** The next `times` calls fail with `failure`, then calls succeed again. */
  failNext(failure: RouterFailure, times = 1): this {
    for (let i = 0; i < times; i++) this.failures.push(failure);
    return this;
  }

  /** Every call fails with `failure` (undefined: none do). */
  failAlways(failure: RouterFailure | undefined): this {
    this.failAll = failure;
    return this;
  }

  get ads(): RecordedCall[] {
    return this.calls.filter((call) => call.endpoint === HyperbahnEndpoint.Advertise);
  }

  get unads(): RecordedCall[] {
    return this.calls.filter((call) => call.endpoint === HyperbahnEndpoint.Unadvertise);
  }

  close(): Promise<void> {
    return this.channel.close({ gracePeriod: 0 });
  }

  private async handle(req: JsonRequest): Promise<{ body: unknown }> {
    const failure = this.failures.shift() ?? this.failAll;
    this.calls.push({
      endpoint: req.endpoint,
      service: req.service,
      scheme: req.request.scheme,
      callerName: req.request.callerName,
      headers: req.headers,
      rawBody: req.request.arg3.toString('utf8'),
      body: req.body,
      at: performance.now(),
      failedWith: failure,
    });
    if (req.service !== HYPERBAHN_SERVICE) throw new JsonApplicationError({ type: 'wrong-service', message: req.service });
    switch (failure) {
      case 'busy':
        throw new BusyError('router busy');
      case 'declined':
        throw new DeclinedError('router declined');
      case 'unexpected':
        throw new UnexpectedError('router broke');
      case 'app-error':
        throw new JsonApplicationError({ type: 'hyperbahn.no-ring', message: 'ring not ready' });
      case 'slow':
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, req.request.timeLeft + 50);
          req.request.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
        return { body: {} };
      case 'bad-answer':
        return { body: { connections: 1 } };
      case undefined:
        break;
    }
    if (readAdvertiseRequest(req.body) === undefined) throw new JsonApplicationError({ type: 'bad-request', message: 'not an ad body' });
    return { body: req.endpoint === HyperbahnEndpoint.Advertise ? { connectionCount: this.connectionCount } : {} };
  }
}
