/** A scheduled deadline that can be cancelled. */
export interface Deadline {
  cancel(): void;
}

/** setTimeout's longest delay; a ttl may be up to 2^32-1 ms, which would otherwise fire at once. */
const MAX_TIMER_MS = 0x7fffffff;

/** One scheduled deadline: a node of a doubly linked list (its slot's, or the far list). */
class WheelEntry implements Deadline {
  prev: WheelEntry | null = null;
  next: WheelEntry | null = null;
  list: EntryList | null = null;

  constructor(
    readonly at: number,
    readonly onExpire: () => void,
  ) {}

  cancel(): void {
    this.list?.remove(this);
  }
}

class EntryList {
  head: WheelEntry | null = null;
  size = 0;

  constructor(private readonly owner: { count: number }) {}

  add(entry: WheelEntry): void {
    entry.list = this;
    entry.prev = null;
    entry.next = this.head;
    if (this.head !== null) this.head.prev = entry;
    this.head = entry;
    this.size++;
    this.owner.count++;
  }

  remove(entry: WheelEntry): void {
    if (entry.prev !== null) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next !== null) entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
    entry.list = null;
    this.size--;
    this.owner.count--;
  }
}

/**
 * A timer wheel: scheduling and cancelling a deadline are O(1) list operations, with no timer
 * object per deadline (a Timeout per call cost measurable throughput on small calls). One unref'd
 * interval ticks while any deadline is pending; deadlines fire up to one slot late.
 */
export class TimerWheel {
  /** Deadlines pending. */
  count = 0;
  private readonly slots: EntryList[];
  /** Deadlines further out than one revolution. */
  private readonly far = new EntryList(this);
  private current = 0;
  private farCheckedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param slotMs width of a slot: the precision
   * @param slotCount slots in one revolution
   */
  constructor(
    private readonly slotMs = 4,
    private readonly slotCount = 1024,
  ) {
    this.slots = Array.from({ length: slotCount }, () => new EntryList(this));
  }

  /** Schedules `onExpire` after `ms`. Deadlines never keep the process alive. */
  schedule(ms: number, onExpire: () => void): Deadline {
    const now = performance.now();
    if (this.timer === undefined) {
      this.current = Math.floor(now / this.slotMs);
      this.farCheckedAt = this.current;
      this.timer = setInterval(() => this.tick(), this.slotMs);
      this.timer.unref();
    }
    const entry = new WheelEntry(now + Math.min(MAX_TIMER_MS, Math.max(0, ms)), onExpire);
    this.place(entry);
    return entry;
  }

  private place(entry: WheelEntry): void {
    const slot = Math.max(Math.ceil(entry.at / this.slotMs), this.current + 1);
    if (slot - this.current >= this.slotCount) this.far.add(entry);
    else (this.slots[slot % this.slotCount] as EntryList).add(entry);
  }

  private tick(): void {
    const now = performance.now();
    const target = Math.floor(now / this.slotMs);
    const expired: WheelEntry[] = [];
    // Visit every slot passed since the last tick (at most one revolution). An entry in a passed
    // slot is due: its slot is the ceiling of its deadline.
    for (let slot = Math.max(this.current + 1, target - this.slotCount + 1); slot <= target; slot++) {
      const list = this.slots[slot % this.slotCount] as EntryList;
      for (let entry = list.head; entry !== null; ) {
        const next = entry.next;
        list.remove(entry);
        expired.push(entry);
        entry = next;
      }
    }
    this.current = target;
    // Far deadlines move into the wheel once they are within a revolution.
    if (this.far.size > 0 && target - this.farCheckedAt >= this.slotCount / 4) {
      this.farCheckedAt = target;
      for (let entry = this.far.head; entry !== null; ) {
        const next = entry.next;
        if (Math.ceil(entry.at / this.slotMs) - target < this.slotCount) {
          this.far.remove(entry);
          if (entry.at <= now) expired.push(entry);
          else this.place(entry);
        }
        entry = next;
      }
    }
    for (const entry of expired) entry.onExpire();
    if (this.count === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** The process-wide wheel for call deadlines. */
const wheel = new TimerWheel();

/** Schedules `onExpire` after `ms` (to within a few ms) on the shared timer wheel. */
export function scheduleDeadline(ms: number, onExpire: () => void): Deadline {
  return wheel.schedule(ms, onExpire);
}
