import { NetworkError } from '../errors/protocol-errors';
import type { Connection } from '../connection/connection';

/**
 * A remote host:port and the connections to it: outbound ones we opened and inbound ones whose
 * init named this host_port. Calls reuse the least-loaded ready connection; only one connect is
 * in flight at a time.
 */
export class Peer {
  private readonly connections = new Set<Connection>();
  private connecting: Promise<Connection> | undefined;
  /** When the last connect attempt failed (ms since epoch), for skipping unreachable peers. */
  lastFailureAt = 0;

  constructor(
    readonly hostPort: string,
    private readonly connect: () => Connection,
  ) {}

  /** Adds a connection (e.g. an inbound one identified by its init). */
  add(connection: Connection): void {
    this.connections.add(connection);
  }

  remove(connection: Connection): void {
    this.connections.delete(connection);
  }

  /** Outbound calls in flight over all connections: the load this peer carries for us. */
  get pending(): number {
    let pending = 0;
    for (const connection of this.connections) pending += connection.pendingOutbound;
    return pending;
  }

  get isConnected(): boolean {
    for (const connection of this.connections) if (connection.isReady) return true;
    return false;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The least-loaded ready connection, if any. */
  readyConnection(): Connection | undefined {
    let best: Connection | undefined;
    for (const connection of this.connections) {
      if (connection.isReady && (best === undefined || connection.pendingOutbound < best.pendingOutbound)) best = connection;
    }
    return best;
  }

  /** A ready connection, connecting if there is none. */
  getConnection(): Promise<Connection> {
    const best = this.readyConnection();
    if (best !== undefined) return Promise.resolve(best);
    if (this.connecting === undefined) {
      const connection = this.connect();
      this.connections.add(connection);
      this.connecting = connection.ready.then(
        () => {
          this.connecting = undefined;
          return connection;
        },
        (err: unknown) => {
          this.connecting = undefined;
          this.connections.delete(connection);
          this.lastFailureAt = Date.now();
          throw err instanceof Error ? err : new NetworkError(String(err));
        },
      );
    }
    return this.connecting;
  }

  /** Closes every connection to the peer. */
  close(): void {
    for (const connection of this.connections) connection.close();
    this.connections.clear();
  }

  /** The connections, for closing or inspection. */
  all(): Connection[] {
    return [...this.connections];
  }
}
