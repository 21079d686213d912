/** Largest usable message id: 0xFFFFFFFF is reserved for errors about no particular message. */
const MAX_ID = 0xfffffffe;

/**
 * Hands out message ids in a predictable sequence (as the spec suggests, for easier debugging),
 * wrapping around and skipping ids still in use.
 */
export class MessageIds {
  private next = 1;

  allocate(inUse: { has(id: number): boolean }): number {
    for (;;) {
      const id = this.next;
      this.next = id >= MAX_ID ? 1 : id + 1;
      if (!inUse.has(id)) return id;
    }
  }
}
