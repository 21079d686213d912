// (a) tchannel-ts raw client. Every benchmark connection is its own TChannel instance, so the
// 50-connection scenario opens 50 sockets; the checksum is our default (CRC32C).

import { TChannel } from '@tchannel/core';
import { RawArgScheme } from '@tchannel/raw';
import { runClient } from '../client-harness';

runClient(async ({ hostPort, arg2, arg3, timeoutMs }) => {
  const client = new TChannel({ name: 'bench-client' });
  const rawClient = new RawArgScheme(client);
  return {
    call(done) {
      rawClient
        .call({ service: 'bench-server', endpoint: 'echo', headers: arg2, body: arg3, hostport: hostPort, timeout: timeoutMs })
        .then(
          (res) => done(null, res.headers.length + res.body.length),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), 0),
        );
    },
    close: async () => {
      await client.close();
    },
  };
});
