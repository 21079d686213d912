import { Cassette, type CassetteOptions } from './cassette';

/** A body run with a cassette loaded (and its `channels` attached). */
export type CassetteBody<T> = (cassette: Cassette) => T | Promise<T>;

/**
 * tchannel-python's `use_cassette`, in three forms:
 * - `await useCassette(path, options)` loads the cassette and attaches `options.channels`; close it
 *   yourself, or let `await using cassette = await useCassette(...)` close it at the end of the scope;
 * - `await useCassette(path, options, async (cassette) => ...)` runs the body, then closes the
 *   cassette (saving what was recorded, also when the body throws) and resolves with the body's result;
 * - `withCassette(path, options, body)` returns that as a function, for `test('…', withCassette(…))`.
 * @throws CassetteFormatError if the file is not a valid version 1 cassette
 * @throws VcrError for an invalid record mode or match field, an unreadable file, or a channel
 *   another cassette is attached to
 */
export function useCassette(path: string, options?: CassetteOptions): Promise<Cassette>;
export function useCassette<T>(path: string, body: CassetteBody<T>): Promise<T>;
export function useCassette<T>(path: string, options: CassetteOptions, body: CassetteBody<T>): Promise<T>;
export async function useCassette<T>(
  path: string,
  optionsOrBody: CassetteOptions | CassetteBody<T> = {},
  body?: CassetteBody<T>,
): Promise<Cassette | T> {
  const options = typeof optionsOrBody === 'function' ? {} : optionsOrBody;
  const run = typeof optionsOrBody === 'function' ? optionsOrBody : body;
  const cassette = await Cassette.load(path, options);
  if (run === undefined) return cassette;
  let result: T;
  try {
    result = await run(cassette);
  } catch (err) {
    // What was recorded before the failure is kept, as tchannel-python's context manager does;
    // the body's error is the one worth reporting, so a failure to save does not replace it.
    await cassette.close().catch(() => undefined);
    throw err;
  }
  await cassette.close();
  return result;
}

/**
 * A test function running `body` with the cassette at `path` (the decorator form of
 * tchannel-python's `use_cassette`). The cassette is always passed, so `inject` is not needed.
 *
 * @example
 * test('gets a key', withCassette('test/data/get.yaml', { channels: [client] }, async () => {
 *   expect((await kv.call({ service: 'kv', endpoint: 'get', body: { key: 'a' } })).body).toEqual({ value: 1 });
 * }));
 */
export function withCassette<T>(path: string, body: CassetteBody<T>): () => Promise<T>;
export function withCassette<T>(path: string, options: CassetteOptions, body: CassetteBody<T>): () => Promise<T>;
export function withCassette<T>(path: string, optionsOrBody: CassetteOptions | CassetteBody<T>, body?: CassetteBody<T>): () => Promise<T> {
  if (typeof optionsOrBody === 'function') return () => useCassette(path, optionsOrBody);
  if (body === undefined) throw new TypeError('withCassette needs a body');
  return () => useCassette(path, optionsOrBody, body);
}
