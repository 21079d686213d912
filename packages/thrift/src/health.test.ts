import { TChannel } from '@tchannel/core';
import { checkHealth, HealthRequestType, HealthState, type HealthCheckRequest } from './health';
import { ThriftArgScheme } from './thrift-arg-scheme';
import { hex } from '../test/golden';

const SERVICE = 'health-server';
const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

async function setup(): Promise<{ scheme: ThriftArgScheme; client: TChannel; hostport: string }> {
  const server = new TChannel({ name: SERVICE });
  const client = new TChannel({ name: 'health-client' });
  channels.push(server, client);
  // Setting the scheme up is all it takes: no service registered.
  const scheme = new ThriftArgScheme(server);
  return { scheme, client, hostport: await server.listen() };
}

test('Meta::health is served as soon as the scheme is set up: ok without a hook', async () => {
  const { client, hostport } = await setup();
  await expect(checkHealth(client, { service: SERVICE, hostport })).resolves.toEqual({ ok: true });
});

test('the hook reports unhealthy, with a message and a state', async () => {
  const { scheme, client, hostport } = await setup();
  scheme.setHealthCheck(() => ({ ok: false, message: 'warming up', state: HealthState.Refusing }));
  await expect(checkHealth(client, { service: SERVICE, hostport })).resolves.toEqual({ ok: false, message: 'warming up', state: HealthState.Refusing });
  scheme.setHealthCheck(undefined);
  await expect(checkHealth(client, { service: SERVICE, hostport })).resolves.toEqual({ ok: true });
});

test('the hook gets the request type (process by default) and the call context; it may be async', async () => {
  const { scheme, client, hostport } = await setup();
  const seen: HealthCheckRequest[] = [];
  scheme.setHealthCheck(async (request) => {
    seen.push(request);
    return { ok: request.type === HealthRequestType.Process };
  });
  await expect(checkHealth(client, { service: SERVICE, hostport })).resolves.toEqual({ ok: true });
  await expect(checkHealth(client, { service: SERVICE, hostport, type: HealthRequestType.Traffic, headers: { who: 'lb' } })).resolves.toEqual({ ok: false });
  expect(seen.map((r) => r.type)).toEqual([HealthRequestType.Process, HealthRequestType.Traffic]);
  expect(seen[1]?.context.endpoint).toBe('Meta::health');
  expect(seen[1]?.context.headers['who']).toBe('lb');
});

test('a hook that throws answers not ok with its message', async () => {
  const { scheme, client, hostport } = await setup();
  scheme.setHealthCheck(() => {
    throw new Error('database unreachable');
  });
  await expect(checkHealth(client, { service: SERVICE, hostport })).resolves.toEqual({ ok: false, message: 'health check failed: database unreachable' });
});

test('wire: an empty _args struct (tchannel-node sends no argument) is a process check; the answer is HealthStatus in field 0', async () => {
  const { scheme, client, hostport } = await setup();
  scheme.setHealthCheck(() => ({ ok: false, message: 'no' }));
  const res = await client.call({ scheme: 'thrift', service: SERVICE, arg1: 'Meta::health', arg2: hex('0000'), arg3: hex('00'), hostport });
  expect(res.code).toBe(0);
  expect(res.arg3.toString('hex')).toBe(
    hex(`
      0c 0000              // field 0 (success), struct HealthStatus
        02 0001 00         //   1: ok = false
        0b 0002 00000002 6e6f  //   2: message = "no"
        00                 //   stop
      00                   // stop
    `).toString('hex'),
  );
});
