import type { Connection } from '../connection/connection';
import { parseHostPort } from './host-port';
import { Peer } from './peer';
import { selectPeer } from './peer-selector';

/** What the pool reports about a peer. */
export interface PeerStats {
  readonly hostPort: string;
  readonly connected: boolean;
  /** Outbound calls in flight. */
  readonly pending: number;
  readonly connections: number;
}

/**
 * The peers of a channel: every host:port it talks to (with their connections), the channel-wide
 * known peers and per-service peer lists that calls without `hostport` choose from.
 */
export class PeerPool {
  private readonly peers = new Map<string, Peer>();
  private readonly known: string[] = [];
  private readonly byService = new Map<string, string[]>();

  constructor(
    private readonly connect: (hostPort: string) => Connection,
    private readonly onPeerAdded: (hostPort: string, service: string | undefined) => void = () => undefined,
  ) {}

  /** The peer for a host:port, created on first use. */
  peerFor(hostPort: string): Peer {
    let peer = this.peers.get(hostPort);
    if (peer === undefined) {
      parseHostPort(hostPort);
      peer = new Peer(hostPort, () => this.connect(hostPort));
      this.peers.set(hostPort, peer);
    }
    return peer;
  }

  /** Adds a peer to choose from: for every service, or only for calls to `service`. */
  add(hostPort: string, service?: string): void {
    parseHostPort(hostPort);
    const list = service === undefined ? this.known : this.listFor(service);
    if (list.includes(hostPort)) return;
    list.push(hostPort);
    this.onPeerAdded(hostPort, service);
  }

  /** Removes a peer from the lists calls choose from (its open connections stay until closed). */
  remove(hostPort: string, service?: string): void {
    const list = service === undefined ? this.known : this.byService.get(service);
    const index = list?.indexOf(hostPort) ?? -1;
    if (list !== undefined && index >= 0) list.splice(index, 1);
  }

  /** Peers a call to `service` may use: the service's own list if it has one, else the known peers. */
  candidates(service: string): string[] {
    const own = this.byService.get(service);
    return own !== undefined && own.length > 0 ? own : this.known;
  }

  /** Chooses a peer for a call to `service` among those not yet tried (see selectPeer). */
  choose(service: string, tried: ReadonlySet<string>): Peer | undefined {
    return selectPeer(this.candidates(service).map((hostPort) => this.peerFor(hostPort)), tried, Date.now());
  }

  /**
   * Forgets a closed connection, and peers left with no connection that no list names: those were
   * known only through a connection (an inbound peer's init host_port, a call by explicit
   * hostport), and keeping them would let peers that connect under ever new host_ports grow the
   * pool without bound.
   */
  detach(connection: Connection): void {
    for (const [hostPort, peer] of this.peers) {
      peer.remove(connection);
      if (peer.connectionCount === 0 && !this.isListed(hostPort)) this.peers.delete(hostPort);
    }
  }

  private isListed(hostPort: string): boolean {
    if (this.known.includes(hostPort)) return true;
    for (const list of this.byService.values()) if (list.includes(hostPort)) return true;
    return false;
  }

  stats(): PeerStats[] {
    return [...this.peers.values()].map((peer) => ({
      hostPort: peer.hostPort,
      connected: peer.isConnected,
      pending: peer.pending,
      connections: peer.connectionCount,
    }));
  }

  closeAll(): void {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  private listFor(service: string): string[] {
    let list = this.byService.get(service);
    if (list === undefined) {
      list = [];
      this.byService.set(service, list);
    }
    return list;
  }
}
