import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CallResponseResult, Headers, OutgoingCall, OutgoingNext, TChannel } from '@tchannel/core';
import { parseCassette, serializeCassette } from './cassette-yaml';
import { argSchemeOf, isUtf8, type CassetteArgScheme, type CassetteRequest, type Interaction } from './interaction';
import { parseRecordMode, recordPolicy, RecordMode, type RecordPolicy } from './record-mode';
import { createRequestMatcher, DEFAULT_MATCH_ON, type MatchField, type RequestMatcher } from './request-matcher';
import { CassetteFormatError, UnexpectedCallError, VcrError } from './vcr-errors';

/** How a cassette is opened. */
export interface CassetteOptions {
  /** Default `RecordMode.Once`. */
  readonly recordMode?: RecordMode;
  /** The request fields a call must share with a recorded interaction to replay it. Default DEFAULT_MATCH_ON. */
  readonly matchOn?: readonly MatchField[];
  /** Channels to attach at once (see `attach`). */
  readonly channels?: readonly TChannel[];
}

/** The cassette a channel's interceptor hands calls to; undefined passes calls to the network. */
interface ChannelHook {
  cassette: Cassette | undefined;
}

/**
 * One interceptor per channel, installed the first time a cassette attaches to it: core cannot
 * remove an interceptor, so detaching points the hook at no cassette instead.
 */
const hooks = new WeakMap<TChannel, ChannelHook>();

/** A recording in progress: filled when its call succeeds, so a failed call leaves nothing. */
interface RecordingSlot {
  interaction: Interaction | undefined;
}

/**
 * Recorded TChannel interactions in a YAML file (tchannel-python's VCR format, version 1), and the
 * record/replay logic for the channels it is attached to. Per call, in this order: a replayable
 * record mode answers with the first unplayed interaction that matches (each plays once); a mode
 * that may record sends the call and records its response; otherwise the call is rejected with
 * UnexpectedCallError. Calls that fail (error frames, timeouts, network errors) are not recorded.
 *
 * @example
 * const cassette = await Cassette.load('test/data/kv.yaml', { recordMode: RecordMode.Once });
 * cassette.attach(channel);
 * try {
 *   await kv.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, hostport });
 * } finally {
 *   await cassette.close(); // writes the file if anything was recorded
 * }
 */
export class Cassette implements AsyncDisposable {
  /** The cassette file. */
  readonly path: string;
  readonly recordMode: RecordMode;
  /** Whether the file existed when the cassette was loaded ('once' records only when it did not). */
  readonly existed: boolean;

  private readonly policy: RecordPolicy;
  private readonly matcher: RequestMatcher;
  private readonly available: Interaction[];
  private readonly played: Interaction[] = [];
  private readonly recorded: RecordingSlot[] = [];
  /** An interaction was recorded since the file was last written. */
  private unsaved = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly channels = new Set<TChannel>();
  private closing: Promise<void> | undefined;

  private constructor(path: string, recordMode: RecordMode, matcher: RequestMatcher, existed: boolean, interactions: Interaction[]) {
    this.path = path;
    this.recordMode = recordMode;
    this.policy = recordPolicy(recordMode);
    this.matcher = matcher;
    this.existed = existed;
    this.available = interactions;
  }

  /**
   * Reads the cassette at `path`; a missing file is an empty cassette. With `RecordMode.All` the
   * file's content is not read: it is forgotten, and replaced once a call is recorded.
   * @throws CassetteFormatError if the file is not a valid version 1 cassette
   * @throws VcrError for an invalid record mode or match field, or a file that cannot be read
   */
  static async load(path: string, options: CassetteOptions = {}): Promise<Cassette> {
    const recordMode = parseRecordMode(options.recordMode ?? RecordMode.Once);
    const matcher = createRequestMatcher(options.matchOn ?? DEFAULT_MATCH_ON);
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw new VcrError(`cannot read cassette ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    let interactions: Interaction[] = [];
    if (bytes !== undefined && recordMode !== RecordMode.All) {
      // Decoding would turn invalid bytes into U+FFFD silently, and replay the wrong bytes.
      if (!isUtf8(bytes)) throw new CassetteFormatError(path, 'the file is not UTF-8 text');
      interactions = parseCassette(bytes.toString('utf8'), path);
    }
    const cassette = new Cassette(path, recordMode, matcher, bytes !== undefined, interactions);
    for (const channel of options.channels ?? []) cassette.attach(channel);
    return cassette;
  }

  /** True when the record mode forbids recording ('none', or 'once' with a file that existed). */
  get writeProtected(): boolean {
    return !this.policy.canRecord(this.existed);
  }

  /** Interactions replayed so far. */
  get playCount(): number {
    return this.played.length;
  }

  /** Every interaction the cassette holds: played, then unplayed, then recorded. */
  get interactions(): readonly Interaction[] {
    return [...this.played, ...this.available, ...this.recordedInteractions()];
  }

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Records and replays the `call()`s of `channel` (not `callStreaming()`, whose args are streams)
   * through its outgoing interceptors. Interceptors added to the channel before run around the
   * cassette (they see replayed calls too); those added after run only for calls that go out.
   * Attaching twice is a no-op.
   * @throws VcrError if the cassette is closed or another cassette is attached to the channel
   */
  attach(channel: TChannel): this {
    if (this.isClosed) throw new VcrError(`cassette ${this.path} is closed`);
    let hook = hooks.get(channel);
    if (hook === undefined) {
      const created: ChannelHook = { cassette: undefined };
      channel.useOutgoing((call, next) => (created.cassette === undefined ? next(call) : created.cassette.intercept(call, next)));
      hooks.set(channel, created);
      hook = created;
    }
    if (hook.cassette === this) return this;
    if (hook.cassette !== undefined) {
      throw new VcrError(`channel "${channel.name}" already plays cassette ${hook.cassette.path}: close or detach it first`);
    }
    hook.cassette = this;
    this.channels.add(channel);
    return this;
  }

  /** Stops recording and replaying the calls of `channel` (of every attached channel if none is given). */
  detach(channel?: TChannel): void {
    for (const attached of channel === undefined ? [...this.channels] : [channel]) {
      const hook = hooks.get(attached);
      if (hook?.cassette === this) hook.cassette = undefined;
      this.channels.delete(attached);
    }
  }

  /**
   * Writes the cassette file if calls were recorded since it was last written (tchannel-python does
   * the same: a cassette that only replayed is left as it was). Waits for recording calls in
   * flight first. The file holds the interactions played (in play order), then, unless the mode is
   * 'all', those not played, then the recorded ones (in call order); it is written whole to a
   * temporary file renamed into place. Replay state is unchanged. Resolves whether it wrote.
   * @throws VcrError if the file cannot be written
   */
  async save(): Promise<boolean> {
    await Promise.all(this.pending);
    if (!this.unsaved) return false;
    const text = serializeCassette([...this.played, ...(this.policy.saveUnplayed ? this.available : []), ...this.recordedInteractions()]);
    // Cleared before writing: a call recorded while the file is written makes it unsaved again.
    this.unsaved = false;
    try {
      await writeAtomically(this.path, text);
    } catch (err) {
      this.unsaved = true;
      throw err;
    }
    return true;
  }

  /** Detaches from every channel and saves (see `save`). Calling it again returns the same promise. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.detach();
      this.closing = this.save().then(() => undefined);
    }
    return this.closing;
  }

  /** `await using cassette = await useCassette(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async intercept(call: OutgoingCall, next: OutgoingNext): Promise<CallResponseResult> {
    const argScheme = argSchemeOf(call.scheme);
    if (argScheme === undefined) {
      throw new VcrError(`cassette ${this.path} cannot hold a call with scheme "${call.scheme}": version 1 cassettes hold raw, json and thrift calls`);
    }
    const request = requestOf(call, argScheme);
    if (this.policy.replayable) {
      const index = this.available.findIndex((interaction) => this.matcher(request, interaction.request));
      const interaction = this.available[index];
      if (interaction !== undefined) {
        this.available.splice(index, 1);
        this.played.push(interaction);
        return replay(interaction, call);
      }
    }
    if (this.writeProtected) throw new UnexpectedCallError(this.path, this.recordMode, request, [...this.available]);
    // The slot is taken now so that interactions are saved in call order, whatever order they end in.
    const slot: RecordingSlot = { interaction: undefined };
    this.recorded.push(slot);
    const response = next(call);
    const settled = response.then(
      (result) => {
        slot.interaction = {
          request: call.hostport === undefined ? { ...request, knownPeers: [result.hostPort] } : request,
          response: { code: result.code, headers: Buffer.from(result.arg2), body: Buffer.from(result.arg3) },
        };
        this.unsaved = true;
      },
      // Failed calls (error frames included) are not recorded; the caller gets the error.
      () => {
        this.recorded.splice(this.recorded.indexOf(slot), 1);
      },
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return response;
  }

  private recordedInteractions(): Interaction[] {
    return this.recorded.flatMap((slot) => (slot.interaction === undefined ? [] : [slot.interaction]));
  }
}

/** A call as it would be recorded (bytes copied: the caller may reuse its buffers). */
function requestOf(call: OutgoingCall, argScheme: CassetteArgScheme): CassetteRequest {
  return {
    serviceName: call.service,
    endpoint: call.endpoint,
    headers: copyBytes(call.arg2),
    body: copyBytes(call.arg3),
    hostPort: call.hostport ?? '',
    knownPeers: [],
    argScheme,
    transportHeaders: Object.entries(call.headers ?? {}).map(([key, value]) => ({ key, value })),
  };
}

function copyBytes(value: Buffer | string | undefined): Buffer {
  return value === undefined ? Buffer.alloc(0) : Buffer.from(value);
}

/**
 * The response of a replayed interaction. Transport headers are not recorded: a response always
 * carries `as` (the request's), so that is what it gets. The answering peer is the pinned host:port, else the one recorded.
 */
function replay(interaction: Interaction, call: OutgoingCall): CallResponseResult {
  const { request, response } = interaction;
  const headers: Headers = Object.freeze(Object.assign(Object.create(null) as Record<string, string>, { as: call.scheme }));
  return {
    code: response.code,
    arg2: Buffer.from(response.headers),
    arg3: Buffer.from(response.body),
    headers,
    hostPort: call.hostport ?? (request.hostPort || request.knownPeers[0] || ''),
    tracing: call.tracing,
  };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new VcrError(`cannot write cassette ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function isErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
