// Tracing across hops: a handler's outgoing calls are child spans of its request, the sampled flag
// travels, and interceptors see spans so a tracer can be bridged in.

import { BadRequestError, TChannel, TRACE_FLAG_ENABLED, type Request, type TChannelOptions, type Tracing } from '../src';
import { channel } from './channels.fixtures';

interface Chain {
  readonly client: TChannel;
  readonly middle: TChannel;
  readonly leaf: TChannel;
  readonly middleHostPort: string;
  /** What each server saw, by endpoint. */
  readonly seen: { middle: Tracing[]; leaf: Tracing[] };
}

/** client -> middle `forward` -> leaf `work` (or `fail`, per arg3), the middle calling with `parent`. */
async function chain(clientOptions: Partial<TChannelOptions> = {}, middleOptions: Partial<TChannelOptions> = {}): Promise<Chain> {
  const seen = { middle: [] as Tracing[], leaf: [] as Tracing[] };
  const leaf = channel('leaf');
  leaf.register('work', (req) => {
    seen.leaf.push(req.tracing);
    return { arg3: 'done' };
  });
  leaf.register('fail', (req) => {
    seen.leaf.push(req.tracing);
    throw new BadRequestError('no');
  });
  const leafHostPort = await leaf.listen();
  const middle = channel('middle', middleOptions);
  middle.register('forward', async (req: Request) => {
    seen.middle.push(req.tracing);
    const res = await middle.call({ scheme: 'raw', service: 'leaf', arg1: req.arg3.toString() || 'work', hostport: leafHostPort, parent: req });
    return { arg3: res.arg3 };
  });
  const middleHostPort = await middle.listen();
  return { client: channel('client', clientOptions), middle, leaf, middleHostPort, seen };
}

describe('tracing', () => {
  test('a handler’s outgoing call with parent is a child span: same trace id, parent id = the request’s span id, new span id', async () => {
    const { client, middleHostPort, seen } = await chain();
    const res = await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    const [middle] = seen.middle as [Tracing];
    const [leaf] = seen.leaf as [Tracing];
    // The client's call started a trace: a root span, and the middle received exactly that span.
    expect(res.tracing.parentId).toBe(0n);
    expect(res.tracing.traceId).toBe(res.tracing.spanId);
    expect(middle).toEqual(res.tracing);
    // The middle's call to the leaf is its child.
    expect(leaf.traceId).toBe(middle.traceId);
    expect(leaf.parentId).toBe(middle.spanId);
    expect(leaf.spanId).not.toBe(middle.spanId);
    expect(leaf.spanId).not.toBe(0n);
  });

  test('parentTracing makes a call a child span too; calls without a parent start new traces', async () => {
    const { client, middleHostPort } = await chain();
    const parent: Tracing = { spanId: 0x1111n, parentId: 0x2222n, traceId: 0x3333n, flags: TRACE_FLAG_ENABLED };
    const child = await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort, parentTracing: parent });
    expect(child.tracing).toMatchObject({ traceId: 0x3333n, parentId: 0x1111n, flags: TRACE_FLAG_ENABLED });
    const a = await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    const b = await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    expect(a.tracing.traceId).not.toBe(b.tracing.traceId);
  });

  test('trace: true sets the sampled flag (1), children inherit it; the default is unsampled', async () => {
    const { client, middleHostPort, seen } = await chain();
    await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    expect(seen.middle[0]!.flags & TRACE_FLAG_ENABLED).toBe(0);
    expect(seen.leaf[0]!.flags & TRACE_FLAG_ENABLED).toBe(0);

    await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort, trace: true });
    expect(seen.middle[1]!.flags).toBe(TRACE_FLAG_ENABLED);
    // Sampling is decided at the root: the middle (trace: false by default) keeps its parent's flag.
    expect(seen.leaf[1]!.flags).toBe(TRACE_FLAG_ENABLED);
  });

  test('the channel option trace: true samples new traces; a call can opt out', async () => {
    const { client, middleHostPort, seen } = await chain({ trace: true });
    await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    expect(seen.middle[0]!.flags).toBe(TRACE_FLAG_ENABLED);
    await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort, trace: false });
    expect(seen.middle[1]!.flags).toBe(0);
  });

  test('interceptors see spans: a tracer bridge records linked client and server spans with errors', async () => {
    interface Span {
      readonly kind: 'client' | 'server';
      readonly process: string;
      readonly name: string;
      readonly traceId: bigint;
      readonly spanId: bigint;
      readonly parentId: bigint;
      readonly sampled: boolean;
      durationMs?: number;
      error?: string;
    }
    const spans: Span[] = [];
    /** Installs the bridge: one span per outgoing call and per incoming request. */
    const instrument = (ch: TChannel): void => {
      ch.useOutgoing(async (call, next) => {
        const span: Span = { kind: 'client', process: ch.name, name: `${call.service}::${call.endpoint}`, ...ids(call.tracing) };
        const start = performance.now();
        try {
          return await next(call);
        } catch (err) {
          span.error = (err as Error).name;
          throw err;
        } finally {
          span.durationMs = performance.now() - start;
          spans.push(span);
        }
      });
      ch.useIncoming(async (request, next) => {
        const span: Span = { kind: 'server', process: ch.name, name: `${request.service}::${request.endpoint}`, ...ids(request.tracing) };
        const start = performance.now();
        try {
          return await next(request);
        } catch (err) {
          span.error = (err as Error).name;
          throw err;
        } finally {
          span.durationMs = performance.now() - start;
          spans.push(span);
        }
      });
    };
    const ids = (t: Tracing) => ({ traceId: t.traceId, spanId: t.spanId, parentId: t.parentId, sampled: (t.flags & TRACE_FLAG_ENABLED) !== 0 });

    const { client, middle, leaf, middleHostPort } = await chain({ trace: true });
    for (const ch of [client, middle, leaf]) instrument(ch);

    await client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort });
    const find = (kind: Span['kind'], process: string): Span => {
      const span = spans.find((s) => s.kind === kind && s.process === process);
      if (span === undefined) throw new Error(`no ${kind} span in ${process}`);
      return span;
    };
    expect(spans).toHaveLength(4);
    const clientSpan = find('client', 'client');
    const middleServer = find('server', 'middle');
    const middleClient = find('client', 'middle');
    const leafServer = find('server', 'leaf');
    expect(clientSpan.name).toBe('middle::forward');
    expect(middleClient.name).toBe('leaf::work');
    // Each side of a hop sees the same span; hops link parent to child; one trace, sampled.
    expect(middleServer.spanId).toBe(clientSpan.spanId);
    expect(leafServer.spanId).toBe(middleClient.spanId);
    expect(middleClient.parentId).toBe(middleServer.spanId);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(spans.every((s) => s.sampled)).toBe(true);
    // The outer spans enclose the inner ones.
    expect(clientSpan.durationMs!).toBeGreaterThanOrEqual(middleServer.durationMs!);
    expect(middleServer.durationMs!).toBeGreaterThanOrEqual(middleClient.durationMs!);

    spans.length = 0;
    await expect(client.call({ scheme: 'raw', service: 'middle', arg1: 'forward', arg3: 'fail', hostport: middleHostPort })).rejects.toThrow();
    expect(find('server', 'leaf').error).toBe('BadRequestError');
    expect(find('client', 'middle').error).toBe('BadRequestError');
    expect(find('client', 'client').error).toBeDefined();
  });
});
