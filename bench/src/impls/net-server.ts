// (d) Ceiling: bare `net` echo server. Each whole message is written back unchanged (same id);
// all messages parsed from one read go out in one corked write.

import * as net from 'node:net';
import { runServer } from '../server-harness';
import { FrameReader } from './net-framing';

runServer(
  () =>
    new Promise((resolve, reject) => {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.setNoDelay(true);
        const reader = new FrameReader((frame) => socket.write(frame));
        socket.on('data', (chunk: Buffer) => {
          socket.cork();
          try {
            reader.push(chunk);
          } catch {
            socket.destroy();
          }
          socket.uncork();
        });
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address() as net.AddressInfo;
        resolve({
          hostPort: `127.0.0.1:${addr.port}`,
          close: () =>
            new Promise<void>((done) => {
              for (const s of sockets) s.destroy();
              server.close(() => done());
            }),
        });
      });
    }),
);
