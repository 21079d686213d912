// The body of every client child: waits for the run order, opens the connections through the
// implementation's opener, drives the load and reports back over IPC.

import type { BenchConnection } from './load';
import { drive } from './load';
import type { ClientResult, FromClient, RunOrder, ToClient } from './ipc';
import { describeError, toParent } from './ipc';
import { makePayload } from './payload';

export type { BenchConnection } from './load';

export interface OpenOptions {
  hostPort: string;
  /** Request arg2 (application headers) and arg3 (body); the server echoes both. */
  arg2: Buffer;
  arg3: Buffer;
  timeoutMs: number;
  /** 0-based index of this connection among the scenario's connections. */
  index: number;
}

/** Opens one client connection (its own channel) to the server. */
export type Opener = (opts: OpenOptions) => Promise<BenchConnection>;

function send(msg: FromClient, then?: () => void): void {
  if (!process.send) throw new Error('this file is a benchmark child: start it through dist/run.js');
  process.send(msg, undefined, undefined, () => then?.());
}

function maxRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

async function closeAll(conns: readonly BenchConnection[]): Promise<void> {
  const cap = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
  await Promise.race([Promise.allSettled(conns.map((c) => c.close())), cap]);
}

export function runClient(open: Opener): void {
  let conns: BenchConnection[] = [];

  const run = async (order: RunOrder): Promise<void> => {
    const s = order.scenario;
    const arg2 = makePayload(s.arg2Bytes, 2);
    const arg3 = makePayload(s.arg3Bytes, 3);
    conns = await Promise.all(
      Array.from({ length: s.connections }, (_, index) =>
        open({ hostPort: order.hostPort, arg2, arg3, timeoutMs: s.timeoutMs, index }),
      ),
    );
    const load = await drive(conns, {
      warmupMs: order.warmupMs,
      durationMs: order.durationMs,
      concurrency: s.concurrency,
      expectedEchoBytes: s.arg2Bytes + s.arg3Bytes,
      bodyBytes: s.arg3Bytes,
      timeoutMs: s.timeoutMs,
      onMeasuring: () => send({ type: 'measuring' }),
      onMeasured: () => send({ type: 'measured' }),
    });
    const result: ClientResult = { ...load, maxRssKiB: maxRssKiB() };
    send({ type: 'result', result });
  };

  process.on('message', (msg: ToClient) => {
    if (msg.type === 'run') {
      run(msg).catch((err: unknown) => {
        toParent({ type: 'error', message: describeError(err) });
        setTimeout(() => process.exit(1), 100);
      });
    } else if (msg.type === 'close') {
      void closeAll(conns).then(() => {
        send({ type: 'closed', maxRssKiB: maxRssKiB() }, () => process.exit(0));
      });
    }
  });
  // an orphaned child must not linger
  process.on('disconnect', () => process.exit(0));
}
