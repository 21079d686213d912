import type { Connection } from '../connection/connection';
import { NetworkError } from '../errors/protocol-errors';

/** Connection health settings. */
export interface HealthOptions {
  /** Ping each connection this often (ms) when it has been quiet; 0 or absent disables pings. */
  readonly pingInterval?: number;
  /** How long a ping may take before the connection is declared dead (ms). Default 5 000. */
  readonly pingTimeout?: number;
  /** Close connections with no calls in flight and no traffic for this long (ms); 0 or absent keeps them. */
  readonly idleTimeout?: number;
}

/**
 * One timer for all of a channel's connections: pings quiet connections and closes those that do
 * not answer (their calls fail with a network error, and are retried per their policy), and
 * reaps idle connections.
 */
export class ConnectionMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly pinging = new WeakSet<Connection>();

  constructor(
    private readonly options: HealthOptions,
    private readonly connections: () => Iterable<Connection>,
  ) {
    const periods = [options.pingInterval, options.idleTimeout].filter((v): v is number => v !== undefined && v > 0);
    if (periods.length === 0) return;
    const tick = Math.max(10, Math.min(...periods) / 2);
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.now();
    const { pingInterval = 0, pingTimeout = 5_000, idleTimeout = 0 } = this.options;
    for (const connection of this.connections()) {
      if (!connection.isReady) continue;
      const quietFor = now - connection.lastActivityAt;
      const busy = connection.pendingOutbound + connection.pendingInbound > 0;
      if (idleTimeout > 0 && !busy && quietFor >= idleTimeout) {
        connection.close();
        continue;
      }
      if (pingInterval > 0 && quietFor >= pingInterval && !this.pinging.has(connection)) {
        this.pinging.add(connection);
        connection.ping(pingTimeout).then(
          () => this.pinging.delete(connection),
          () => connection.fail(new NetworkError(`connection to ${connection.remoteAddress} did not answer a ping within ${pingTimeout} ms`)),
        );
      }
    }
  }
}
