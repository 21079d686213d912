// Interceptors: useOutgoing wraps every whole outgoing call (after retries), useIncoming every
// incoming request; both see the call and its result or error, may change or answer it, and run
// first-added outermost.

import {
  BusyError,
  TChannel,
  UnexpectedError,
  type CallResponseResult,
  type OutgoingCall,
} from '../src';
import { channel } from './channels.fixtures';

interface Served {
  readonly server: TChannel;
  readonly hostPort: string;
  readonly headersSeen: Array<Record<string, string>>;
}

async function serve(name = 'server'): Promise<Served> {
  const server = channel(name);
  const headersSeen: Array<Record<string, string>> = [];
  server.register('echo', (req) => {
    headersSeen.push({ ...req.transportHeaders });
    return { arg2: req.arg2, arg3: req.arg3 };
  });
  server.register('busy', () => {
    throw new BusyError('too busy');
  });
  server.register('throws', () => {
    throw new Error('handler broke');
  });
  return { server, hostPort: await server.listen(), headersSeen };
}

describe('outgoing interceptors', () => {
  test('see service, endpoint, scheme, headers, args and span, then the result', async () => {
    const { hostPort } = await serve();
    const client = channel('client');
    const seen: Array<{ call: OutgoingCall; result?: CallResponseResult }> = [];
    client.useOutgoing(async (call, next) => {
      const entry: { call: OutgoingCall; result?: CallResponseResult } = { call };
      seen.push(entry);
      entry.result = await next(call);
      return entry.result;
    });
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg2: 'h', arg3: 'b', hostport: hostPort, headers: { sk: 'key' } });
    expect(seen).toHaveLength(1);
    const { call, result } = seen[0]!;
    expect(call.service).toBe('server');
    expect(call.endpoint).toBe('echo');
    expect(call.scheme).toBe('raw');
    expect(call.headers).toEqual({ sk: 'key' });
    expect(call.arg2).toBe('h');
    expect(call.arg3).toBe('b');
    expect(call.hostport).toBe(hostPort);
    expect(call.tracing.spanId).toBe(res.tracing.spanId);
    expect(result).toBe(res);
    expect(result!.arg3.toString()).toBe('b');
    expect(result!.hostPort).toBe(hostPort);
  });

  test('see the error of the whole call, once, after its retries', async () => {
    const [a, b] = await Promise.all([serve('a'), serve('b')]);
    const client = channel('client', { knownPeers: [a.hostPort, b.hostPort] });
    const errors: unknown[] = [];
    client.useOutgoing(async (call, next) => {
      try {
        return await next(call);
      } catch (err) {
        errors.push(err);
        throw err;
      }
    });
    await expect(client.call({ scheme: 'raw', service: 'svc', arg1: 'busy' })).rejects.toBeInstanceOf(BusyError);
    // Two peers, both busy: two attempts, one interception.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BusyError);
  });

  test('can change the headers and args a call is sent with', async () => {
    const { hostPort, headersSeen } = await serve();
    const client = channel('client');
    client.useOutgoing((call, next) => next({ ...call, headers: { ...call.headers, 'x-request-id': 'r-42' }, arg3: `${call.arg3?.toString() ?? ''}!` }));
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: 'hello', hostport: hostPort });
    expect(res.arg3.toString()).toBe('hello!');
    expect(headersSeen[0]).toMatchObject({ 'x-request-id': 'r-42', as: 'raw', cn: 'client', re: 'c' });
  });

  test('can answer without the network', async () => {
    const client = channel('client');
    let connections = 0;
    client.on('connection', () => connections++);
    client.useOutgoing(async (call, next) => {
      if (call.endpoint !== 'cached') return next(call);
      return { code: 0, arg2: Buffer.alloc(0), arg3: Buffer.from('from cache'), headers: { as: call.scheme }, hostPort: 'cache', tracing: call.tracing };
    });
    // No peers at all: only the interceptor can answer.
    const res = await client.call({ scheme: 'raw', service: 'nowhere', arg1: 'cached' });
    expect(res.arg3.toString()).toBe('from cache');
    expect(res.hostPort).toBe('cache');
    expect(connections).toBe(0);
  });
});

describe('incoming interceptors', () => {
  test('see the request and the result, and may replace it', async () => {
    const { server, hostPort } = await serve();
    const seen: Array<{ endpoint: string; caller: string | undefined; body: string; result: string }> = [];
    server.useIncoming(async (request, next) => {
      const result = await next(request);
      seen.push({ endpoint: request.endpoint, caller: request.callerName, body: request.arg3.toString(), result: String(result?.arg3) });
      return { ...result, transportHeaders: { 'x-served-by': 'interceptor' } };
    });
    const client = channel('client');
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: 'ping', hostport: hostPort });
    expect(seen).toEqual([{ endpoint: 'echo', caller: 'client', body: 'ping', result: 'ping' }]);
    expect(res.headers['x-served-by']).toBe('interceptor');
  });

  test('see handler errors and may translate them', async () => {
    const { server, hostPort } = await serve();
    const errors: unknown[] = [];
    server.useIncoming(async (request, next) => {
      try {
        return await next(request);
      } catch (err) {
        errors.push(err);
        if (request.endpoint === 'throws') throw new BusyError('shed after failure');
        throw err;
      }
    });
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'busy', hostport: hostPort })).rejects.toBeInstanceOf(BusyError);
    const translated = client.call({ scheme: 'raw', service: 'server', arg1: 'throws', hostport: hostPort });
    await expect(translated).rejects.toBeInstanceOf(BusyError);
    await expect(translated).rejects.not.toBeInstanceOf(UnexpectedError);
    expect(errors).toHaveLength(2);
    expect((errors[1] as Error).message).toBe('handler broke');
  });
});

describe('order', () => {
  test('the first added interceptor runs outermost, outgoing and incoming', async () => {
    const { server, hostPort } = await serve();
    const log: string[] = [];
    for (const name of ['in-1', 'in-2', 'in-3']) {
      server.useIncoming(async (request, next) => {
        log.push(`${name}>`);
        const result = await next(request);
        log.push(`<${name}`);
        return result;
      });
    }
    const client = channel('client');
    for (const name of ['out-1', 'out-2']) {
      client.useOutgoing(async (call, next) => {
        log.push(`${name}>`);
        const result = await next({ ...call, headers: { ...call.headers, path: `${call.headers?.['path'] ?? ''}/${name}` } });
        log.push(`<${name}`);
        return result;
      });
    }
    const headersSeen: string[] = [];
    server.useIncoming(async (request, next) => {
      headersSeen.push(request.transportHeaders['path'] ?? '');
      return next(request);
    });
    await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', hostport: hostPort });
    expect(log).toEqual(['out-1>', 'out-2>', 'in-1>', 'in-2>', 'in-3>', '<in-3', '<in-2', '<in-1', '<out-2', '<out-1']);
    // Each outgoing interceptor passed its change on to the next one.
    expect(headersSeen).toEqual(['/out-1/out-2']);
  });
});
