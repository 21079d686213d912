import { VcrError } from './vcr-errors';

/**
 * Record modes (tchannel-python `tchannel.testing.vcr.RecordMode`): whether a cassette replays
 * recorded interactions, records new ones, or both.
 */
export const RecordMode = {
  /**
   * The default. If the cassette file did not exist, record every call and save them. If it
   * existed, replay its interactions and reject any call without a match (UnexpectedCallError).
   */
  Once: 'once',
  /** Replay matching interactions and record (and save) calls that match none. */
  NewEpisodes: 'new_episodes',
  /** Replay only: a call without a matching interaction is rejected. */
  None: 'none',
  /** Replay nothing and record every call; existing interactions are forgotten when it saves. */
  All: 'all',
} as const;

/** One of the `RecordMode` values: 'once', 'new_episodes', 'none' or 'all'. */
export type RecordMode = (typeof RecordMode)[keyof typeof RecordMode];

/** What a record mode allows (tchannel-python's `_RecordMode`). */
export interface RecordPolicy {
  /** Calls may be answered from recorded interactions. */
  readonly replayable: boolean;
  /** Calls without a match may go to the network and be recorded, given whether the file existed. */
  readonly canRecord: (existed: boolean) => boolean;
  /** Saving keeps interactions that were loaded but not played. */
  readonly saveUnplayed: boolean;
}

const POLICIES: Readonly<Record<RecordMode, RecordPolicy>> = {
  once: { replayable: true, canRecord: (existed) => !existed, saveUnplayed: true },
  new_episodes: { replayable: true, canRecord: () => true, saveUnplayed: true },
  none: { replayable: true, canRecord: () => false, saveUnplayed: true },
  all: { replayable: false, canRecord: () => true, saveUnplayed: false },
};

/** The policy of `mode`. */
export function recordPolicy(mode: RecordMode): RecordPolicy {
  return POLICIES[mode];
}

/**
 * Checks a record mode given at run time (from JavaScript, an environment variable...). Like
 * tchannel-python's `RecordMode.from_name`, names are case-insensitive: 'ONCE' is 'once'.
 * @throws VcrError for anything else
 */
export function parseRecordMode(value: unknown): RecordMode {
  if (typeof value === 'string') {
    const name = value.toLowerCase();
    if (Object.hasOwn(POLICIES, name)) return name as RecordMode;
  }
  throw new VcrError(`invalid record mode ${JSON.stringify(value) ?? String(value)}: use 'once', 'new_episodes', 'none' or 'all'`);
}
