// Shared test scaffolding: channels created through `channel()` are closed after each test of the
// file that imports this (the afterEach hook registers in that file), without a grace period.
import { TChannel, type TChannelOptions } from '../src';

const open: TChannel[] = [];

/** A channel closed automatically after the current test. */
export function channel(name: string, options: Partial<TChannelOptions> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((ch) => ch.close({ gracePeriod: 0 })));
});

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition()` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
