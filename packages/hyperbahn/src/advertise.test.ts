import { createServer } from 'node:net';
import { NetworkError, TChannel, TChannelError, TimeoutError } from '@tchannel/core';
import { JsonArgScheme } from '@tchannel/json';
import { advertise, advertiseOnce, unadvertise } from './advertise';
import { AdvertiseError } from './advertise-error';
import type { Advertisement, AdvertisementStopReason } from './advertisement';
import { FakeRouter } from './test-router';

// Small intervals everywhere: the suite proves the schedule, not the production defaults.
const FAST = { interval: { minMs: 40, jitterMs: 0 }, backoff: { initialMs: 10, maxMs: 40 }, requestTimeout: 500 } as const;
const EXPECTED_BODY = '{"services":[{"serviceName":"kv","cost":0}]}';

const channels: TChannel[] = [];
const routers: FakeRouter[] = [];
const advertisements: Advertisement[] = [];

afterEach(async () => {
  await Promise.all(advertisements.splice(0).map((ad) => ad.stop()));
  await Promise.all([...channels.splice(0).map((ch) => ch.close({ gracePeriod: 0 })), ...routers.splice(0).map((r) => r.close())]);
});

async function service(name = 'kv', listen = true): Promise<TChannel> {
  const channel = new TChannel({ name });
  channels.push(channel);
  if (listen) await channel.listen({ host: '127.0.0.1', port: 0 });
  return channel;
}

async function router(): Promise<FakeRouter> {
  const started = await FakeRouter.start();
  routers.push(started);
  return started;
}

function track(advertisement: Advertisement): Advertisement {
  advertisements.push(advertisement);
  return advertisement;
}

/** A host:port nothing listens on (connections are refused). */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `127.0.0.1:${address.port}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('the first advertisement', () => {
  test('calls service hyperbahn, endpoint ad, as json, with the exact body, from the listening host_port', async () => {
    const r = await router();
    r.connectionCount = 7;
    const channel = await service('kv');
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));

    expect(ad.connectionCount).toBe(7);
    expect(ad.router).toBe(r.hostPort);
    expect(ad.service).toBe('kv');
    expect(ad.isActive).toBe(true);
    expect(r.ads).toHaveLength(1);
    const call = r.ads[0];
    expect(call).toMatchObject({ service: 'hyperbahn', endpoint: 'ad', scheme: 'json', callerName: 'kv', rawBody: EXPECTED_BODY });
    expect({ ...call?.headers }).toEqual({});
    // The router registers what the connection's init announced: our listening address.
    expect(r.announced).toEqual([channel.hostPort]);
  });

  test('advertises another service name and cost when given', async () => {
    const r = await router();
    const channel = await service('kv');
    track(await advertise(channel, { routers: [r.hostPort], service: 'kv-canary', cost: 2, ...FAST }));
    expect(r.ads[0]?.rawBody).toBe('{"services":[{"serviceName":"kv-canary","cost":2}]}');
  });

  test('works on a channel that already has its own json scheme', async () => {
    const r = await router();
    const channel = await service('kv');
    new JsonArgScheme(channel).register('get', () => ({ body: 1 }));
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));
    expect(ad.connectionCount).toBe(3);
  });

  test.each(['busy', 'declined'] as const)('a %s router is skipped for another at once', async (failure) => {
    const bad = (await router()).failAlways(failure);
    const good = await router();
    const channel = await service();
    const startedAt = performance.now();
    // Several rounds, so the random choice of the first router covers both orders.
    for (let i = 0; i < 4; i++) {
      const ad = await advertise(channel, { routers: [bad.hostPort, good.hostPort], ...FAST, backoff: { initialMs: 1_000, maxMs: 1_000 } });
      expect(ad.router).toBe(good.hostPort);
      await ad.stop();
    }
    // No backoff was needed: the channel moved on to the other router within the same call.
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

  test('an unreachable router is skipped for another', async () => {
    const good = await router();
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [await deadAddress(), good.hostPort], ...FAST }));
    expect(ad.router).toBe(good.hostPort);
  });

  test('a router answering an application error is retried after a backoff, reaching the other router', async () => {
    const bad = (await router()).failAlways('app-error');
    const good = await router();
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [bad.hostPort, good.hostPort], timeout: 3_000, ...FAST }));
    expect(ad.router).toBe(good.hostPort);
  });

  test('a router that fails the first times is retried with backoff until it accepts', async () => {
    const r = (await router()).failNext('unexpected', 2);
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));
    expect(ad.connectionCount).toBe(3);
    const [first, second, third] = r.ads.map((call) => call.at);
    expect(r.ads.map((call) => call.failedWith)).toEqual(['unexpected', 'unexpected', undefined]);
    // backoff 10 ms, then 20 ms (timer granularity allows a little less)
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(8);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(18);
  });

  test('an answer without connectionCount is a failure', async () => {
    const r = (await router()).failNext('bad-answer', 1);
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));
    expect(r.ads.map((call) => call.failedWith)).toEqual(['bad-answer', undefined]);
    expect(ad.connectionCount).toBe(3);
  });

  test('every router failing until the timeout rejects with AdvertiseError naming the failures', async () => {
    const broken = (await router()).failAlways('app-error');
    const channel = await service();
    const startedAt = performance.now();
    const err = await rejectionOf(advertise(channel, { routers: [broken.hostPort], timeout: 600, ...FAST }));
    const elapsed = performance.now() - startedAt;

    expect(err).toBeInstanceOf(AdvertiseError);
    expect(err).toBeInstanceOf(TChannelError);
    const error = err as AdvertiseError;
    expect(error.name).toBe('AdvertiseError');
    expect(error.service).toBe('kv');
    expect(error.routers).toEqual([broken.hostPort]);
    // Backoff of 10 + 20 + 40 + 40 ... ms: at least six attempts fit in 600 ms, even on a loaded machine.
    expect(error.attempts).toBe(broken.ads.length);
    expect(error.attempts).toBeGreaterThanOrEqual(6);
    expect(error.message).toBe(
      `could not advertise service "kv" to Hyperbahn (routers ${broken.hostPort}): no router accepted it within 600 ms ` +
        `after ${error.attempts} attempts; last error per router: JsonApplicationError: router ${broken.hostPort} answered "ad" ` +
        'with an application error: hyperbahn.no-ring: ring not ready',
    );
    expect(error.failures.map((f) => f.router)).toEqual([broken.hostPort]);
    expect(error.cause).toBe(error.failures[0]?.error);
    expect(elapsed).toBeGreaterThan(500);
    expect(elapsed).toBeLessThan(2_000);
    // Nothing keeps running after the rejection.
    const calls = broken.calls.length;
    await sleep(80);
    expect(broken.calls).toHaveLength(calls);
  });

  test('with several failing routers, each failure seen is reported under its router', async () => {
    const busy = (await router()).failAlways('busy');
    const declining = (await router()).failAlways('declined');
    const channel = await service();
    const err = await rejectionOf(advertise(channel, { routers: [busy.hostPort, declining.hostPort], timeout: 200, ...FAST }));
    expect(err).toBeInstanceOf(AdvertiseError);
    const error = err as AdvertiseError;
    // Each attempt tried both routers (busy and declined move on at once) ...
    expect(busy.ads).toHaveLength(error.attempts);
    expect(declining.ads).toHaveLength(error.attempts);
    // ... and the channel reports the last router's error: whichever was tried second.
    expect(error.failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of error.failures) {
      expect([busy.hostPort, declining.hostPort]).toContain(failure.router);
      expect(error.message).toContain(failure.error.message);
      expect(failure.error.message).toContain(failure.router);
    }
    expect(error.message).toMatch(/router busy|router declined/);
  });

  test('only unreachable routers: AdvertiseError caused by the connection failures', async () => {
    const channel = await service();
    const dead = [await deadAddress(), await deadAddress()];
    const err = await rejectionOf(advertise(channel, { routers: dead, timeout: 150, ...FAST }));
    expect(err).toBeInstanceOf(AdvertiseError);
    const error = err as AdvertiseError;
    for (const failure of error.failures) expect(dead).toContain(failure.router);
    // Every attempt was refused; on a loaded machine the last one may instead be cut short by the
    // advertise timeout itself. Either way no router answered.
    const cause = error.cause;
    expect(cause instanceof NetworkError || cause instanceof TimeoutError).toBe(true);
    if (cause instanceof NetworkError) expect(error.message).toContain('ECONNREFUSED');
  });

  test('a channel that does not listen is refused before anything is sent', async () => {
    const r = await router();
    const channel = await service('kv', false);
    const err = await rejectionOf(advertise(channel, { routers: [r.hostPort], ...FAST }));
    expect(err).toBeInstanceOf(AdvertiseError);
    expect((err as Error).message).toBe(
      'cannot advertise service "kv": channel "kv" does not listen: Hyperbahn routes to the host_port the channel announces, so call listen() first',
    );
    expect(r.calls).toHaveLength(0);
  });

  test('a closed channel is refused', async () => {
    const r = await router();
    const channel = await service();
    await channel.close();
    const err = await rejectionOf(advertise(channel, { routers: [r.hostPort] }));
    expect(err).toBeInstanceOf(AdvertiseError);
    expect((err as Error).message).toContain('is closed');
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['no routers', { routers: [] }, 'no routers given'],
    ['a router that is not host:port', { routers: ['nope'] }, 'router "nope" is not host:port'],
    ['a negative cost', { routers: ['127.0.0.1:1'], cost: -1 }, 'cost must be a non-negative integer'],
    ['an empty service', { routers: ['127.0.0.1:1'], service: '' }, 'the service name must be a non-empty string'],
    ['a zero timeout', { routers: ['127.0.0.1:1'], timeout: 0 }, 'timeout must be a positive number of ms'],
    ['a zero interval', { routers: ['127.0.0.1:1'], interval: { minMs: 0, jitterMs: 0 } }, 'interval must have minMs > 0'],
    ['a backoff above its cap', { routers: ['127.0.0.1:1'], backoff: { initialMs: 10, maxMs: 5 } }, 'backoff must have 0 < initialMs <= maxMs'],
  ])('invalid options (%s) reject with AdvertiseError', async (_name, options, message) => {
    const channel = await service();
    const err = await rejectionOf(advertise(channel, options as unknown as Parameters<typeof advertise>[1]));
    expect(err).toBeInstanceOf(AdvertiseError);
    expect((err as Error).message).toContain(message);
  });

  test('aborting the signal before a router accepts rejects with AdvertiseError', async () => {
    const r = (await router()).failAlways('slow');
    const channel = await service();
    const abort = new AbortController();
    const pending = advertise(channel, { routers: [r.hostPort], signal: abort.signal, ...FAST });
    await until(() => r.ads.length === 1);
    abort.abort(new Error('shutting down'));
    const err = await rejectionOf(pending);
    expect(err).toBeInstanceOf(AdvertiseError);
    expect((err as Error).message).toContain('aborted after 1 attempt');
    expect((err as Error).cause).toEqual(new Error('shutting down'));
  });
});

describe('re-advertising', () => {
  test('advertises again on the interval, emitting advertised', async () => {
    const r = await router();
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));
    const events: number[] = [];
    ad.on('advertised', (result) => events.push(result.connectionCount));
    r.connectionCount = 5;
    // Wait for the answers, not only for the router to see the calls.
    await until(() => events.length >= 3);
    const times = r.ads.map((call) => call.at);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(35);
    expect(r.ads.length).toBeGreaterThanOrEqual(4);
    expect(events[0]).toBe(5);
    expect(ad.connectionCount).toBe(5);
    expect(r.ads.every((call) => call.rawBody === EXPECTED_BODY)).toBe(true);
  });

  test('backs off exponentially after failures, then returns to the interval', async () => {
    const r = await router();
    const channel = await service();
    const ad = track(await advertise(channel, { routers: [r.hostPort], ...FAST }));
    const retries: number[] = [];
    const errors: AdvertiseError[] = [];
    ad.on('failed', (error, retryInMs) => {
      errors.push(error);
      retries.push(retryInMs);
    });
    r.failNext('app-error', 4);
    await until(() => r.ads.length >= 7);
    // 10, 20, 40, then capped at maxMs 40
    expect(retries).toEqual([10, 20, 40, 40]);
    expect(errors[0]).toBeInstanceOf(AdvertiseError);
    expect(errors[0]?.message).toContain('re-advertising service "kv" to Hyperbahn failed (1 in a row; next attempt in 10 ms)');
    expect(errors[0]?.message).toContain('ring not ready');
    expect(errors[3]?.attempts).toBe(4);
    const gaps = r.ads.slice(1).map((call, i) => call.at - (r.ads[i]?.at ?? 0));
    // ad ok, [40] fail, [10] fail, [20] fail, [40] fail, [40] ok, [40] ok
    const expected = [40, 10, 20, 40, 40, 40];
    expected.forEach((gap, i) => expect(gaps[i]).toBeGreaterThanOrEqual(gap - 3));
    expect(ad.consecutiveFailures).toBe(0);
    expect(ad.lastError).toBeUndefined();
  });
});

describe('stopping', () => {
  test('stop() sends unad with the same body, stops the timer and resolves true', async () => {
    const r = await router();
    const channel = await service();
    const ad = await advertise(channel, { routers: [r.hostPort], ...FAST });
    const reasons: AdvertisementStopReason[] = [];
    ad.on('stopped', (reason) => reasons.push(reason));
    const stopping = ad.stop();
    expect(ad.stop()).toBe(stopping);
    await expect(stopping).resolves.toBe(true);
    await expect(ad.stopped).resolves.toBe('stopped');
    expect(reasons).toEqual(['stopped']);
    expect(ad.isActive).toBe(false);
    expect(r.unads).toHaveLength(1);
    expect(r.unads[0]).toMatchObject({ service: 'hyperbahn', scheme: 'json', rawBody: EXPECTED_BODY });
    const ads = r.ads.length;
    await sleep(120);
    expect(r.ads).toHaveLength(ads);
  });

  test('stop() during an ad in flight cancels it, then withdraws', async () => {
    const r = await router();
    const channel = await service();
    const ad = await advertise(channel, { routers: [r.hostPort], ...FAST });
    r.failNext('slow');
    await until(() => r.ads.length === 2);
    await expect(ad.stop()).resolves.toBe(true);
    expect(r.calls.map((call) => call.endpoint)).toEqual(['ad', 'ad', 'unad']);
  });

  test('stop() resolves false when no router acknowledges the unad', async () => {
    const r = await router();
    const channel = await service();
    const ad = await advertise(channel, { routers: [r.hostPort], ...FAST });
    r.failAlways('app-error');
    await expect(ad.stop()).resolves.toBe(false);
    expect(r.unads).toHaveLength(1);
  });

  test('closing the channel stops it without an unad', async () => {
    const r = await router();
    const channel = await service();
    const ad = await advertise(channel, { routers: [r.hostPort], ...FAST });
    await channel.close();
    await expect(ad.stopped).resolves.toBe('channel-closed');
    expect(ad.isActive).toBe(false);
    const calls = r.calls.length;
    await sleep(120);
    expect(r.calls).toHaveLength(calls);
    expect(r.unads).toHaveLength(0);
    await expect(ad.stop()).resolves.toBe(false);
  });

  test('a channel closed while no router connection is open is noticed on the next tick', async () => {
    const r = await router();
    const channel = await service();
    const ad = await advertise(channel, { routers: [r.hostPort], ...FAST });
    // The router drops our connection first: closing the channel then closes no connection.
    await r.close();
    await until(() => channel.peerStats().every((peer) => !peer.connected));
    await channel.close();
    await expect(ad.stopped).resolves.toBe('channel-closed');
  });

  test('aborting the signal after the first advertisement stops it with an unad', async () => {
    const r = await router();
    const channel = await service();
    const abort = new AbortController();
    const ad = await advertise(channel, { routers: [r.hostPort], signal: abort.signal, ...FAST });
    abort.abort();
    await expect(ad.stopped).resolves.toBe('aborted');
    await until(() => r.unads.length === 1);
  });
});

describe('advertiseOnce and unadvertise', () => {
  test('send one ad and one unad, without re-advertising', async () => {
    const r = await router();
    const channel = await service();
    await expect(advertiseOnce(channel, { routers: [r.hostPort] })).resolves.toEqual({ connectionCount: 3, router: r.hostPort });
    await sleep(60);
    expect(r.ads).toHaveLength(1);
    await unadvertise(channel, { routers: [r.hostPort] });
    expect(r.calls.map((call) => [call.endpoint, call.rawBody])).toEqual([
      ['ad', EXPECTED_BODY],
      ['unad', EXPECTED_BODY],
    ]);
  });

  test('advertiseOnce rejects with AdvertiseError when the router fails', async () => {
    const r = (await router()).failAlways('busy');
    const channel = await service();
    const err = await rejectionOf(advertiseOnce(channel, { routers: [r.hostPort] }));
    expect(err).toBeInstanceOf(AdvertiseError);
    expect((err as Error).message).toContain('"ad" of service "kv" to Hyperbahn failed: BusyError');
    expect((err as AdvertiseError).failures[0]?.router).toBe(r.hostPort);
  });
});
