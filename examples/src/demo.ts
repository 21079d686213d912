/**
 * The main demo: starts demo-server.ts in a child process, then calls it as a client and prints
 * each exchange. Run with `npx -y pnpm@12.4.2 demo` from the repository root.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { TChannel, TChannelError } from '@tchannel/core';
import { JsonArgScheme } from '@tchannel/json';
import { RawArgScheme } from '@tchannel/raw';
import { checkHealth, clientFor } from '@tchannel/thrift';
import KeyValue = require('../src/thrift-gen/KeyValue');
import ttypes = require('../src/thrift-gen/keyvalue_types');

async function startServer(): Promise<{ hostPort: string; stop: () => void }> {
  const child = fork(join(__dirname, 'demo-server.js'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { hostPort: line.toString('utf8').trim(), stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const server = await startServer();
  console.log(`server listening on ${server.hostPort}`);
  const client = new TChannel({ name: 'demo-client', timeout: 2000 });
  const raw = new RawArgScheme(client);
  const hostport = server.hostPort;
  try {
    const echo = await raw.call({ service: 'demo-server', endpoint: 'echo', headers: 'h1', body: 'hello over tchannel', hostport });
    console.log(`raw echo      -> headers=${echo.headers.toString()} body=${echo.body.toString()}`);

    const upper = await raw.call({ service: 'demo-server', endpoint: 'upper', body: 'shout this', hostport });
    console.log(`raw upper     -> ${upper.body.toString()}`);

    const big = Buffer.alloc(1024 * 1024, 0x61);
    const large = await raw.call({ service: 'demo-server', endpoint: 'echo', body: big, hostport });
    console.log(`raw 1 MiB     -> ${large.body.length} bytes back, identical: ${large.body.equals(big)}`);

    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) => raw.call({ service: 'demo-server', endpoint: 'upper', body: `call ${i}`, hostport })),
    );
    console.log(`raw x20       -> ${calls.map((c) => c.body.toString()).slice(0, 3).join(', ')}, ...`);

    const json = new JsonArgScheme(client);
    const user = await json.call({ service: 'demo-server', endpoint: 'getUser', body: { id: 1 }, headers: { 'request-id': 'r-42' }, hostport });
    console.log(`json getUser  -> ${JSON.stringify(user.body)} headers=${JSON.stringify(user.headers)}`);
    try {
      await json.call({ service: 'demo-server', endpoint: 'getUser', body: { id: 7 }, hostport });
    } catch (err) {
      if (!(err instanceof TChannelError)) throw err;
      console.log(`json missing  -> ${err.name}: ${err.message}`);
    }

    const KeyValueClient = clientFor('demo-server', KeyValue);
    const kv = new KeyValueClient(client, hostport);
    await kv.put(new ttypes.Entry({ key: 'greeting', value: 'hello thrift', tags: ['demo'] }));
    const entry = await kv.get('greeting');
    console.log(`thrift get    -> ${entry.key}=${entry.value} tags=[${(entry.tags ?? []).join(', ')}]`);
    try {
      await kv.get('missing');
    } catch (err) {
      if (!(err instanceof ttypes.NotFound)) throw err;
      console.log(`thrift get    -> NotFound { key: ${err.key} } (a declared exception)`);
    }
    console.log(`thrift health -> ${JSON.stringify(await checkHealth(client, { service: 'demo-server', hostport }))}`);

    for (const endpoint of ['divide', 'busy', 'missing']) {
      try {
        await raw.call({ service: 'demo-server', endpoint, body: '1/0', hostport });
      } catch (err) {
        if (!(err instanceof TChannelError)) throw err;
        console.log(`raw ${endpoint.padEnd(10)}-> ${err.name}: ${err.message}`);
      }
    }
  } finally {
    await client.close();
    server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
