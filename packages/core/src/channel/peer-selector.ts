import type { Peer } from './peer';

/** A peer whose last connect failed this recently is chosen only when no other peer is left. */
export const FAILED_PEER_BACKOFF_MS = 1_000;

/**
 * Chooses a peer for a call by "power of two choices": two random candidates not yet tried by
 * this call, keeping the one with fewer calls in flight (then the connected one). Every peer gets
 * a share of the calls, so load spreads and no peer sits idle while another takes everything, and
 * a slow or overloaded peer (many pending) is avoided. Peers that failed to connect recently are
 * skipped while any other peer is left, and tried again after the backoff.
 */
export function selectPeer(candidates: readonly Peer[], tried: ReadonlySet<string>, now: number, random: () => number = Math.random): Peer | undefined {
  const untried = candidates.filter((peer) => !tried.has(peer.hostPort));
  const healthy = untried.filter((peer) => now - peer.lastFailureAt >= FAILED_PEER_BACKOFF_MS);
  const pool = healthy.length > 0 ? healthy : untried;
  if (pool.length <= 1) return pool[0];
  const first = Math.floor(random() * pool.length);
  let second = Math.floor(random() * (pool.length - 1));
  if (second >= first) second++;
  return better(pool[first] as Peer, pool[second] as Peer);
}

function better(a: Peer, b: Peer): Peer {
  if (a.pending !== b.pending) return a.pending < b.pending ? a : b;
  if (a.isConnected !== b.isConnected) return a.isConnected ? a : b;
  return a;
}
