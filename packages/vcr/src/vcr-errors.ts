import { TChannelError, type TChannelErrorOptions } from '@tchannel/core';
import { describeRequest, type CassetteRequest, type Interaction } from './interaction';
import type { RecordMode } from './record-mode';

/** The root of @tchannel/vcr's errors: misuse of a cassette (attaching after close, a bad record mode...). */
export class VcrError extends TChannelError {
  static override readonly kind: string = 'VcrError';
}

/**
 * A cassette file that cannot be read as a version 1 cassette: broken YAML, a tag outside the safe
 * schema (`!!js/function`...), another version, or an interaction of the wrong shape.
 */
export class CassetteFormatError extends VcrError {
  static override readonly kind: string = 'CassetteFormatError';
  /** The cassette file. */
  readonly path: string;
  /** What is wrong, with where (`interactions[2].request.body: …`). */
  readonly reason: string;

  constructor(path: string, reason: string, options: TChannelErrorOptions = {}) {
    super(`cassette ${path} is not a valid version 1 cassette: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** How many unplayed interactions an UnexpectedCallError's message lists. */
const LISTED = 10;

/**
 * A call matched no unplayed interaction and the record mode does not allow recording it
 * ('none', or 'once' with a cassette file that existed).
 */
export class UnexpectedCallError extends VcrError {
  static override readonly kind: string = 'UnexpectedCallError';
  /** The cassette file. */
  readonly path: string;
  readonly recordMode: RecordMode;
  /** The call, as it would have been recorded. */
  readonly request: CassetteRequest;
  /** The interactions not yet played when the call was made. */
  readonly available: readonly Interaction[];

  constructor(path: string, recordMode: RecordMode, request: CassetteRequest, available: readonly Interaction[]) {
    const listed = available.slice(0, LISTED).map((interaction, i) => `\n  ${i + 1}. ${describeRequest(interaction.request)}`);
    const more = available.length > LISTED ? `\n  … and ${available.length - LISTED} more` : '';
    super(
      `cassette ${path} (record mode '${recordMode}') has no unplayed interaction matching ${describeRequest(request)}; ` +
        (available.length === 0 ? 'none is left' : `${available.length} left:${listed.join('')}${more}`),
    );
    this.path = path;
    this.recordMode = recordMode;
    this.request = request;
    this.available = available;
  }
}
