/** One shared zero-length buffer for empty args (nothing ever writes into it). */
export const EMPTY = Buffer.alloc(0);

/** An arg as bytes: a Buffer as it is, a string as UTF-8, nothing as empty. */
export function toBytes(value: Buffer | string | undefined): Buffer {
  if (value === undefined) return EMPTY;
  return typeof value === 'string' ? Buffer.from(value) : value;
}
