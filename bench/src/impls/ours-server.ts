// (a) tchannel-ts raw echo server: RawArgScheme "echo" returns the request's arg2/arg3.

import { TChannel } from '@tchannel/core';
import { RawArgScheme } from '@tchannel/raw';
import { runServer } from '../server-harness';

runServer(async () => {
  const server = new TChannel({ name: 'bench-server' });
  const raw = new RawArgScheme(server);
  raw.register('echo', async (req) => ({ headers: req.headers, body: req.body }));
  await server.listen({ host: '127.0.0.1', port: 0 });
  const hostPort = server.hostPort;
  if (!hostPort) throw new Error('server.hostPort is not set after listen()');
  return {
    hostPort,
    close: async () => {
      await server.close();
    },
  };
});
