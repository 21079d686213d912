// Helpers shared by the unit tests (not a test file itself).

/** Hex with whitespace and `//` comments ignored, so golden bytes are annotated field by field. */
export const hex = (text: string): Buffer => Buffer.from(text.replace(/\/\/.*$/gm, '').replace(/\s+/g, ''), 'hex');

/** What a promise rejected with (fails if it resolved). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}
