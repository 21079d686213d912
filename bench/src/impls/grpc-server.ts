// (c) grpc-js unary echo server over plaintext HTTP/2 on 127.0.0.1.

import * as grpc from '@grpc/grpc-js';
import { runServer } from '../server-harness';
import { CHANNEL_OPTIONS, ECHO_SERVICE } from './grpc-service';

runServer(
  () =>
    new Promise((resolve, reject) => {
      const server = new grpc.Server(CHANNEL_OPTIONS);
      server.addService(ECHO_SERVICE, {
        echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          callback(null, call.request);
        },
      });
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          hostPort: `127.0.0.1:${port}`,
          close: () =>
            new Promise<void>((done) => {
              server.tryShutdown(() => done());
              setTimeout(() => {
                server.forceShutdown();
                done();
              }, 1000).unref();
            }),
        });
      });
    }),
);
