/**
 * Metrics with interceptors: per-endpoint call counts, outcomes and latency histograms, collected
 * on both sides of every call by `useOutgoing` (the caller's view: whole calls, retries included)
 * and `useIncoming` (each server's view: one request per attempt), then printed as a table.
 * Run with `node examples/dist/metrics.js` after building.
 */
import {
  BusyError,
  TChannel,
  TChannelError,
  type IncomingInterceptor,
  type OutgoingInterceptor,
} from '@tchannel/core';

/** Upper bounds of the latency buckets, in ms; the last bucket is everything slower. */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] as const;

/** Counts and a latency histogram for one endpoint as seen from one side. */
class EndpointStats {
  calls = 0;
  ok = 0;
  /** Responses with a non-zero code: the handler answered with an application error. */
  appErrors = 0;
  /** Failures by error class: BusyError, TimeoutError, NetworkError... */
  readonly errors = new Map<string, number>();
  readonly buckets = new Array<number>(BUCKETS_MS.length + 1).fill(0);
  maxMs = 0;
  totalMs = 0;

  record(ms: number, outcome: 'ok' | 'app-error' | { error: string }): void {
    this.calls++;
    this.totalMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
    const index = BUCKETS_MS.findIndex((bound) => ms <= bound);
    this.buckets[index === -1 ? BUCKETS_MS.length : index]! += 1;
    if (outcome === 'ok') this.ok++;
    else if (outcome === 'app-error') this.appErrors++;
    else this.errors.set(outcome.error, (this.errors.get(outcome.error) ?? 0) + 1);
  }

  /** The bucket bound under which `q` of the calls finished (an upper estimate, as Prometheus does). */
  quantile(q: number): string {
    const target = Math.ceil(q * this.calls);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= target) return i < BUCKETS_MS.length ? `≤${BUCKETS_MS[i]}` : `>${BUCKETS_MS[BUCKETS_MS.length - 1]}`;
    }
    return '-';
  }
}

/** All endpoints' stats, keyed by side, service and endpoint. */
class Metrics {
  private readonly stats = new Map<string, EndpointStats>();

  for(side: 'client' | 'server', process: string, service: string, endpoint: string): EndpointStats {
    const key = `${side}\t${process}\t${service}::${endpoint}`;
    let stats = this.stats.get(key);
    if (stats === undefined) {
      stats = new EndpointStats();
      this.stats.set(key, stats);
    }
    return stats;
  }

  /** Outgoing side: one record per whole call (after retries), with what the caller got. */
  outgoing(process: string): OutgoingInterceptor {
    return async (call, next) => {
      const stats = this.for('client', process, call.service, call.endpoint);
      const start = performance.now();
      try {
        const result = await next(call);
        stats.record(performance.now() - start, result.code === 0 ? 'ok' : 'app-error');
        return result;
      } catch (err) {
        stats.record(performance.now() - start, { error: errorName(err) });
        throw err;
      }
    };
  }

  /** Incoming side: one record per request a server handled. */
  incoming(process: string): IncomingInterceptor {
    return async (request, next) => {
      const stats = this.for('server', process, request.service, request.endpoint);
      const start = performance.now();
      try {
        const result = await next(request);
        stats.record(performance.now() - start, (result?.code ?? 0) === 0 ? 'ok' : 'app-error');
        return result;
      } catch (err) {
        stats.record(performance.now() - start, { error: errorName(err) });
        throw err;
      }
    };
  }

  /** The summary table, one row per side and endpoint, then the histograms. */
  print(): void {
    const rows = [...this.stats.entries()].sort(([a], [b]) => a.localeCompare(b));
    const header = ['side', 'process', 'endpoint', 'calls', 'ok', 'app err', 'errors', 'mean ms', 'p50', 'p90', 'p99', 'max ms'];
    const table = rows.map(([key, s]) => [
      ...key.split('\t'),
      String(s.calls),
      String(s.ok),
      String(s.appErrors),
      [...s.errors].map(([name, n]) => `${name}×${n}`).join(' ') || '-',
      (s.totalMs / s.calls).toFixed(1),
      s.quantile(0.5),
      s.quantile(0.9),
      s.quantile(0.99),
      s.maxMs.toFixed(1),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]): string => cells.map((cell, i) => (i >= 3 && i !== 6 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of table) console.log(line(row));

    console.log('\nlatency histograms (caller side, ms):');
    for (const [key, s] of rows) {
      const [side, process, endpoint] = key.split('\t');
      if (side !== 'client') continue;
      console.log(`\n  ${endpoint} (${process})`);
      const most = Math.max(...s.buckets);
      s.buckets.forEach((count, i) => {
        const label = i < BUCKETS_MS.length ? `≤${BUCKETS_MS[i]}` : `>${BUCKETS_MS[BUCKETS_MS.length - 1]}`;
        const bar = '█'.repeat(most === 0 ? 0 : Math.round((count / most) * 40));
        console.log(`    ${label.padStart(6)} ${String(count).padStart(5)} ${bar}`);
      });
    }
  }
}

function errorName(err: unknown): string {
  return err instanceof TChannelError ? err.name : err instanceof Error ? err.constructor.name : 'unknown';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An inventory server: `get` is fast, `search` slow, `reserve` sometimes busy or refusing. */
async function inventoryServer(name: string, metrics: Metrics): Promise<TChannel> {
  const server = new TChannel({ name });
  server.useIncoming(metrics.incoming(name));
  server.register('get', async () => {
    await sleep(Math.random() * 3);
    return { arg3: '{"sku":"A-1","stock":3}' };
  });
  server.register('search', async () => {
    await sleep(10 + Math.random() * 60);
    return { arg3: '["A-1","B-2"]' };
  });
  server.register('reserve', async () => {
    await sleep(2 + Math.random() * 8);
    const roll = Math.random();
    if (roll < 0.15) throw new BusyError(`${name} is out of reservation slots`);
    if (roll < 0.25) return { code: 1, arg3: '{"error":"out of stock"}' };
    return { arg3: '{"reserved":true}' };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return server;
}

async function main(): Promise<void> {
  const metrics = new Metrics();
  const servers = await Promise.all([inventoryServer('inventory-1', metrics), inventoryServer('inventory-2', metrics)]);
  const client = new TChannel({ name: 'shop', knownPeers: servers.map((s) => s.hostPort), timeout: 1000 });
  client.useOutgoing(metrics.outgoing('shop'));

  // 400 calls, 8 at a time: mostly reads, some searches and reservations.
  const endpoints = ['get', 'get', 'get', 'get', 'search', 'reserve', 'reserve'];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < 400) {
      const endpoint = endpoints[next++ % endpoints.length]!;
      // Failures are counted by the interceptor; the example carries on.
      await client.call({ scheme: 'raw', service: 'inventory', arg1: endpoint, arg3: '{}' }).catch(() => undefined);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, worker));
  console.log(`400 calls in ${(performance.now() - started).toFixed(0)} ms over ${servers.length} servers\n`);

  metrics.print();
  console.log('\n(busy answers are retried on the other server: the servers count each attempt, the caller each call)');

  await client.close();
  await Promise.all(servers.map((s) => s.close()));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
