// CPU pinning of the children with taskset(1). On a small VM, whether the client and server
// happen to share a CPU swings ping-pong latency several-fold (a same-CPU handoff is ~3x faster
// than a cross-CPU wake-up), so unpinned trials are bimodal. Pinning makes every trial alike.
//   split: server on CPU 0, client on CPU 1 (default; each side gets a core of its own)
//   same:  both on CPU 0
//   off:   let the scheduler place them

import * as fs from 'node:fs';
import * as os from 'node:os';

export type PinMode = 'split' | 'same' | 'off';
export const PIN_MODES: readonly PinMode[] = ['split', 'same', 'off'];

export interface Placement {
  /** The mode really used (falls back to off where taskset or a second CPU is missing). */
  mode: PinMode;
  server: number | null;
  client: number | null;
  note: string | null;
}

const TASKSET_CANDIDATES = ['/usr/bin/taskset', '/bin/taskset'];

export function tasksetPath(): string | null {
  return TASKSET_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

export function placement(mode: PinMode): Placement {
  if (mode === 'off') return { mode, server: null, client: null, note: null };
  if (!tasksetPath()) return { mode: 'off', server: null, client: null, note: 'taskset not found: children not pinned' };
  if (mode === 'split' && os.cpus().length < 2) {
    return { mode: 'same', server: 0, client: 0, note: 'one CPU only: client and server share it' };
  }
  return mode === 'split' ? { mode, server: 0, client: 1, note: null } : { mode, server: 0, client: 0, note: null };
}
