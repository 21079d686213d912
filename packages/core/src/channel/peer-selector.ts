import type { Peer } from './peer';

/** A peer whose last connect failed this recently is chosen only when no other peer is left. */
export const FAILED_PEER_BACKOFF_MS = 1_000;

/**
 * Chooses a peer for a call by "power of two choices": two random candidates not yet tried by
 * this call, keeping the one with fewer calls in flight (either one on a tie). Every peer gets
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

/**
 * Fewer calls in flight wins. A tie is not broken in favour of the connected peer: with calls made
 * one at a time every peer has 0 pending, and that rule would leave a peer that is not connected
 * yet (new, or back after a failure) without calls for as long as another is connected. `a` is
 * already the random one of the pair.
 */
function better(a: Peer, b: Peer): Peer {
  if (a.pending !== b.pending) return a.pending < b.pending ? a : b;
  return a;
}
