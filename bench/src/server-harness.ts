// The body of every server child: starts the implementation's echo server on 127.0.0.1, reports
// its host:port, tracks CPU over the client's measured window and reports peak RSS when stopped.

import type { CpuWindow, FromServer, ToServer } from './ipc';
import { describeError } from './ipc';

export interface BenchServer {
  hostPort: string;
  close(): Promise<void>;
}

function send(msg: FromServer, then?: () => void): void {
  if (!process.send) throw new Error('this file is a benchmark child: start it through dist/run.js');
  process.send(msg, undefined, undefined, () => then?.());
}

export function runServer(start: () => Promise<BenchServer>): void {
  let server: BenchServer | undefined;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpu: CpuWindow | null = null;

  process.on('message', (msg: ToServer) => {
    if (msg.type === 'mark') {
      if (msg.at === 'start') {
        cpuStart = process.cpuUsage();
      } else if (cpuStart) {
        const used = process.cpuUsage(cpuStart);
        cpu = { userUs: used.user, systemUs: used.system };
      }
    } else if (msg.type === 'stop') {
      const cap = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
      const closing = server ? server.close().catch(() => undefined) : Promise.resolve();
      void Promise.race([closing, cap]).then(() => {
        send({ type: 'stopped', maxRssKiB: process.resourceUsage().maxRSS, cpu }, () => process.exit(0));
      });
    }
  });
  process.on('disconnect', () => process.exit(0));

  start().then(
    (s) => {
      server = s;
      send({ type: 'ready', hostPort: s.hostPort });
    },
    (err: unknown) => {
      send({ type: 'error', message: describeError(err) }, () => process.exit(1));
    },
  );
}
