'use strict';
// (b) tchannel-node 4.0.1 raw client. Every benchmark connection is its own root TChannel, so
// the 50-connection scenario opens 50 sockets; the checksum is tchannel-node's default (CRC32C).

const TChannel = require('tchannel');
const { runClient } = require('../client-harness');

runClient(async ({ hostPort, arg2, arg3, timeoutMs }) => {
  const channel = TChannel();
  const service = channel.makeSubChannel({ serviceName: 'bench-server', peers: [hostPort] });
  // A request sent with `host` asserts that the connection is already identified (init
  // handshake done): connect first, as tchannel-node's own users do.
  await new Promise((resolve, reject) => {
    service.peers.add(hostPort).waitForIdentified((err) => (err ? reject(err) : resolve()));
  });
  return {
    call(done) {
      service
        .request({
          serviceName: 'bench-server',
          host: hostPort,
          timeout: timeoutMs,
          // fresh object per call: tchannel-node writes into it (the "re" retry header)
          headers: { as: 'raw', cn: 'bench' },
          hasNoParent: true,
          retryLimit: 1,
        })
        .send('echo', arg2, arg3, (err, res, resArg2, resArg3) => {
          if (err) done(err, 0);
          else if (!res.ok) done(new Error(`application error: ${String(resArg3)}`), 0);
          else done(null, resArg2.length + resArg3.length);
        });
    },
    close: () => new Promise((resolve) => channel.close(() => resolve())),
  };
});
