// (d) Ceiling: bare `net` client, one socket per connection, calls pipelined on it and matched
// to responses by id. No timeouts, no checksums, no arg parsing: the cost of the socket alone.

import * as net from 'node:net';
import { runClient } from '../client-harness';
import { FrameReader, HEADER_BYTES, writeHeader } from './net-framing';

type Done = (err: Error | null, echoedBytes: number) => void;

/** Payloads up to this size are copied behind the header into one buffer; larger ones go as a
 *  second buffer of the same (corked) write. */
const COPY_LIMIT = 4096;

runClient(
  ({ hostPort, arg2, arg3 }) =>
    new Promise((resolve, reject) => {
      const [host, port] = hostPort.split(':') as [string, string];
      const payload = Buffer.concat([arg2, arg3]);
      const pending = new Map<number, Done>();
      let nextId = 1;

      const socket = net.connect({ host, port: Number(port), noDelay: true });
      const reader = new FrameReader((frame) => {
        const id = frame.readUInt32BE(4);
        const done = pending.get(id);
        if (!done) return;
        pending.delete(id);
        done(null, frame.length - HEADER_BYTES);
      });
      const failAll = (err: Error): void => {
        for (const done of pending.values()) done(err, 0);
        pending.clear();
      };
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.on('error', (err) => failAll(err));
      socket.on('close', () => failAll(new Error('socket closed')));
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve({
          call(done) {
            if (socket.destroyed) {
              done(new Error('socket closed'), 0);
              return;
            }
            const id = nextId;
            nextId = nextId === 0xffffffff ? 1 : nextId + 1;
            pending.set(id, done);
            if (payload.length <= COPY_LIMIT) {
              const msg = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
              writeHeader(msg, id, payload.length);
              payload.copy(msg, HEADER_BYTES);
              socket.write(msg);
            } else {
              const header = Buffer.allocUnsafe(HEADER_BYTES);
              writeHeader(header, id, payload.length);
              socket.cork();
              socket.write(header);
              socket.write(payload);
              socket.uncork();
            }
          },
          close: () =>
            new Promise<void>((done) => {
              socket.once('close', () => done());
              socket.end();
              setTimeout(() => socket.destroy(), 1000).unref();
            }),
        });
      });
    }),
);
