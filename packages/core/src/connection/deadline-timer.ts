/** A scheduled deadline that can be cancelled. */
export interface Deadline {
  cancel(): void;
}

/**
 * Schedules `onExpire` after `ms`. One place for every call deadline, so the timer strategy can
 * change (e.g. to a shared wheel) without touching call logic. Timers never keep the process alive.
 */
/** setTimeout's longest delay; a ttl may be up to 2^32-1 ms, which would otherwise fire at once. */
const MAX_TIMER_MS = 0x7fffffff;

export function scheduleDeadline(ms: number, onExpire: () => void): Deadline {
  const timer = setTimeout(onExpire, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}
