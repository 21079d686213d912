// (c) grpc-js client: one generic client per connection. Each gets a local subchannel pool so
// the 50-connection scenario really opens 50 HTTP/2 connections (grpc-js shares them otherwise).

import * as grpc from '@grpc/grpc-js';
import { runClient } from '../client-harness';
import { CHANNEL_OPTIONS, ECHO_SERVICE } from './grpc-service';

type Echo = (
  request: Buffer,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: Buffer) => void,
) => grpc.ClientUnaryCall;

const BenchClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Bench');

runClient(
  ({ hostPort, arg2, arg3, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const client = new BenchClient(hostPort, grpc.credentials.createInsecure(), {
        ...CHANNEL_OPTIONS,
        'grpc.use_local_subchannel_pool': 1,
      });
      const echo = (client['echo'] as Echo).bind(client);
      const request = Buffer.concat([arg2, arg3]);
      client.waitForReady(Date.now() + 10_000, (err) => {
        if (err) {
          client.close();
          reject(err);
          return;
        }
        resolve({
          call(done) {
            echo(request, { deadline: Date.now() + timeoutMs }, (callErr, response) => {
              if (callErr) done(callErr, 0);
              else done(null, response ? response.length : 0);
            });
          },
          close: async () => client.close(),
        });
      });
    }),
);
