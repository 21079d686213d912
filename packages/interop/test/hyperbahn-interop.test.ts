// Interop of Hyperbahn advertising with tchannel-node 4.0.1, both directions:
// - tchannel-node's HyperbahnClient (hyperbahn-client.js) advertises to a router of ours (a
//   JsonArgScheme channel serving `ad`/`unad` on service `hyperbahn`): our router-side decoding
//   matches what tchannel-node puts on the wire, and tchannel-node accepts our answer;
// - our advertise() advertises to tchannel-node playing the router (its json scheme serving the
//   harness's `ad`/`unad` endpoints under service `hyperbahn`).

import { TChannel } from '@tchannel/core';
import { advertise, readAdvertiseRequest, type AdvertiseRequestBody } from '@tchannel/hyperbahn';
import { JsonApplicationError, JsonArgScheme, type JsonHeaders } from '@tchannel/json';
import { NodePeer } from '../src/node-peer/node-peer';

interface RouterCall {
  endpoint: string;
  service: string;
  callerName: string | undefined;
  as: string | undefined;
  arg2: string;
  headers: JsonHeaders;
  body: AdvertiseRequestBody | undefined;
  at: number;
}

const until = async (condition: () => boolean, timeoutMs = 3000): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('tchannel-node HyperbahnClient -> our router', () => {
  let node: NodePeer;
  let router: TChannel;
  let routerHostPort: string;
  const calls: RouterCall[] = [];
  /** init host_port of each connection our router accepted. */
  const announced: string[] = [];
  let failAds = 0;

  beforeAll(async () => {
    node = await NodePeer.start();
    router = new TChannel({ name: 'hyperbahn' });
    router.on('connection', (connection) => {
      connection.ready.then(() => announced.push(connection.peer?.hostPort ?? '?'), () => undefined);
    });
    const json = new JsonArgScheme(router);
    for (const endpoint of ['ad', 'unad']) {
      json.register(endpoint, ({ body, headers, request }) => {
        calls.push({
          endpoint,
          service: request.service,
          callerName: request.callerName,
          as: request.transportHeaders['as'],
          arg2: request.arg2.toString('utf8'),
          headers,
          body: readAdvertiseRequest(body),
          at: performance.now(),
        });
        if (endpoint === 'ad' && failAds > 0) {
          failAds--;
          throw new JsonApplicationError({ type: 'hyperbahn.not-ready', message: 'ring not ready' });
        }
        return { body: endpoint === 'ad' ? { connectionCount: 2 } : {} };
      });
    }
    routerHostPort = await router.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await node?.close();
    await router?.close({ gracePeriod: 0 });
  });

  test('advertises, is re-advertised on its interval, and unadvertises, all decoded by our router', async () => {
    const outcome = await node.hyperbahnAdvertise({ routers: [routerHostPort], serviceName: 'node-svc', advertiseInterval: 100 });
    expect(outcome.error).toBeUndefined();
    // tchannel-node decoded our answer.
    expect(outcome.result).toMatchObject({ ok: true, body: { connectionCount: 2 } });
    const nodeHostPort = outcome.result?.hostPort;

    const first = calls[0];
    expect(first).toMatchObject({ endpoint: 'ad', service: 'hyperbahn', callerName: 'node-svc', as: 'json' });
    // tchannel-node sends its `null` head as the arg2 text "null": json accepts it as no headers.
    expect(first?.arg2).toBe('null');
    expect({ ...first?.headers }).toEqual({});
    expect(first?.body).toEqual({ services: [{ serviceName: 'node-svc', cost: 0 }] });
    // The router sees the advertising channel's listening host_port in init.
    expect(announced).toContain(nodeHostPort);

    // advertiseInterval 100 ms, ± 50 ms of fuzz.
    await until(() => calls.filter((call) => call.endpoint === 'ad').length >= 3);
    const ads = calls.filter((call) => call.endpoint === 'ad');
    for (let i = 1; i < ads.length; i++) expect((ads[i]?.at ?? 0) - (ads[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(40);

    const unad = await node.hyperbahnUnadvertise();
    expect(unad.error).toBeUndefined();
    expect(unad.advertisedCount).toBeGreaterThanOrEqual(3);
    const unads = calls.filter((call) => call.endpoint === 'unad');
    expect(unads).toHaveLength(1);
    expect(unads[0]?.body).toEqual({ services: [{ serviceName: 'node-svc', cost: 0 }] });
  });

  test("our application error is tchannel-node's advertisement failure", async () => {
    const other = await NodePeer.start();
    try {
      failAds = 1000;
      const outcome = await other.hyperbahnAdvertise({ routers: [routerHostPort], serviceName: 'node-svc-2' });
      // hardFail: an application error from the router is fatal to HyperbahnClient.
      expect(outcome.result).toBeUndefined();
      expect(outcome.error?.message).toContain('ring not ready');
    } finally {
      failAds = 0;
      await other.close();
    }
  });
});

describe('our advertise() -> tchannel-node as the router', () => {
  let node: NodePeer;
  let nodeRouter: string;
  let channel: TChannel;

  beforeAll(async () => {
    node = await NodePeer.start();
    nodeRouter = await node.listen({ jsonServiceName: 'hyperbahn' });
    channel = new TChannel({ name: 'ts-svc' });
    await channel.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await channel?.close({ gracePeriod: 0 });
    await node?.close();
  });

  test('ad and unad are decoded by tchannel-node, and its answer by us', async () => {
    const advertisement = await advertise(channel, {
      routers: [nodeRouter],
      timeout: 3_000,
      interval: { minMs: 60, jitterMs: 0 },
    });
    // The harness's `ad` answers { connectionCount: 4 } with a null head (arg2 "null").
    expect(advertisement.connectionCount).toBe(4);
    expect(advertisement.router).toBe(nodeRouter);
    await new Promise<void>((resolve) => advertisement.once('advertised', () => resolve()));
    await expect(advertisement.stop()).resolves.toBe(true);

    const seen = await node.hyperbahnSeen();
    expect(seen.map((rec) => rec.endpoint)).toEqual(['ad', 'ad', 'unad']);
    for (const rec of seen) {
      expect(rec).toMatchObject({
        service: 'hyperbahn',
        callerName: 'ts-svc',
        as: 'json',
        head: {},
        body: { services: [{ serviceName: 'ts-svc', cost: 0 }] },
        // tchannel-node, as a router would, knows us by the host_port our init announced.
        remoteHostPort: channel.hostPort,
      });
    }
  });
});
