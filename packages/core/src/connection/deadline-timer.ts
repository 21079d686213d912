/** A scheduled deadline that can be cancelled. */
export interface Deadline {
  cancel(): void;
}

/**
 * Schedules `onExpire` after `ms`. One place for every call deadline, so the timer strategy can
 * change (e.g. to a shared wheel) without touching call logic. Timers never keep the process alive.
 */
export function scheduleDeadline(ms: number, onExpire: () => void): Deadline {
  const timer = setTimeout(onExpire, Math.max(0, ms));
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}
