'use strict';
// (b) tchannel-node 4.0.1 raw echo server: a sub channel for service "bench-server" whose "echo"
// endpoint answers res.sendOk(arg2, arg3). Channel options are tchannel-node's defaults.

const TChannel = require('tchannel');
const { runServer } = require('../server-harness');

runServer(
  () =>
    new Promise((resolve, reject) => {
      const channel = TChannel();
      const service = channel.makeSubChannel({ serviceName: 'bench-server' });
      service.register('echo', (req, res, arg2, arg3) => {
        res.headers.as = 'raw';
        res.sendOk(arg2, arg3);
      });
      channel.on('error', reject); // tchannel-node's own emitter: no once()
      channel.listen(0, '127.0.0.1', () => {
        resolve({
          hostPort: channel.hostPort,
          close: () => new Promise((done) => channel.close(() => done())),
        });
      });
    }),
);
