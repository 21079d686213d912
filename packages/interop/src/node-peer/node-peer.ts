// Typed handle on a tchannel-node (npm `tchannel@4.0.1`) peer running in a child process
// (peer-process.js). The child has its own event loop, so tchannel-node's timers, sockets and
// crashes stay out of the jest process, and a test can kill it at any moment.

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** TChannel checksum types: 0 none, 1 crc32, 2 farmhash32, 3 crc32c. */
export type ChecksumType = 0 | 1 | 2 | 3;

export interface NodeCallResult {
  /** true for a call response with code 0x00, false for an application error (code 0x01). */
  ok: boolean;
  arg2: Buffer;
  arg3: Buffer;
  /** The call response code byte as tchannel-node saw it. */
  code: number;
  /** Transport headers of the call response. */
  headers: Record<string, string>;
  /** Checksum type of the call response (tchannel-node's server echoes the request's). */
  checksumType: number | null;
}

export interface NodeCallError {
  /** tchannel-node's error type, e.g. 'tchannel.busy', 'tchannel.request.timeout', 'tchannel.socket'. */
  type: string;
  /** e.g. 'TchannelBusyError'. */
  name: string;
  message: string;
  /** tchannel-node's classification (errors.classify): 'Busy', 'Timeout', 'NetworkError', ... */
  codeName?: string;
  /** True when the error came from an error frame sent by the remote peer. */
  isErrorFrame?: boolean;
  /** Error frame code byte, for error frames. */
  errorCode?: number;
}

export interface NodeCallOutcome {
  result?: NodeCallResult;
  error?: NodeCallError;
}

export interface NodeCallRequest {
  hostPort: string;
  service: string;
  arg1: string | Buffer;
  arg2?: string | Buffer;
  arg3?: string | Buffer;
  /**
   * Request timeout in ms (also the ttl sent on the wire). Absent: 2000 (harness default).
   * tchannel-node itself turns 0 into its default of 100 ms.
   */
  timeout?: number;
  /** Absent: tchannel-node's default, CRC32C (3). */
  checksumType?: ChecksumType;
  /** Transport headers merged over { as: 'raw', cn: 'node-client' }; tchannel-node adds re. */
  headers?: Record<string, string>;
  /** tchannel-node's retryLimit; absent: 1. With a single peer it never retries anyway. */
  retryLimit?: number;
  /** Retry flags (sent as the `re` header); absent: tchannel-node's default, 'c'. */
  retryFlags?: { never?: boolean; onConnectionError?: boolean; onTimeout?: boolean };
}

/** A call made with tchannel-node's own json scheme (as/json.js, `TChannelAsJSON`). */
export interface NodeJsonCallRequest {
  hostPort: string;
  service: string;
  /** arg1. */
  endpoint: string;
  /** Application headers; absent: tchannel-node sends an empty arg2 (it stringifies `undefined`). */
  head?: unknown;
  /** The body; absent: `null` (tchannel-node requires one). */
  body?: unknown;
  /** Request timeout in ms; absent: 2000 (harness default). */
  timeout?: number;
  /** Transport headers merged over { cn: 'node-client' }; tchannel-node sets `as: json`. */
  headers?: Record<string, string>;
}

/** A json call response as tchannel-node's json client decoded it. */
export interface NodeJsonCallResult {
  /** true for code 0x00, false for an application error (code 0x01). */
  ok: boolean;
  /** arg2 decoded (`null` for an empty arg2). */
  head: unknown;
  /**
   * arg3 decoded. For ok: false, the fields of the Error tchannel-node rebuilt from the body
   * (errors.ReconstructedError): the body's own fields, plus `name` and `fullType`.
   */
  body: unknown;
  /** Transport headers of the call response. */
  headers: Record<string, string>;
}

export interface NodeJsonCallOutcome {
  result?: NodeJsonCallResult;
  /** A transport error, or tchannel-node's json parse error for a response it could not decode. */
  error?: NodeCallError;
}

/** A tchannel-node thrift server (as/thrift.js with thriftrw) on a channel of its own. */
export interface NodeThriftListenOptions {
  /** The IDL text thriftrw compiles (strict mode: struct fields need required/optional). */
  idl: string;
  /** The Thrift service whose methods are served (those peer-process.js's thriftHandlers implements). */
  thriftService: string;
  /** The TChannel service name; default 'node-thrift-server'. */
  serviceName?: string;
}

/** A call made with tchannel-node's thrift scheme. */
export interface NodeThriftCallRequest {
  hostPort: string;
  service: string;
  /** The IDL text of the called service. */
  idl: string;
  /** arg1: `<Service>::<method>`. */
  endpoint: string;
  /** Application headers; absent: tchannel-node sends `00 00`. */
  head?: Record<string, string>;
  /** The method's arguments by name (thriftrw's form: enums as names, maps as objects). */
  body?: Record<string, unknown>;
  /** Request timeout in ms; absent: 2000 (harness default). */
  timeout?: number;
  /** Transport headers merged over { cn: 'node-client' }; tchannel-node sets `as: thrift`. */
  headers?: Record<string, string>;
}

/** A thrift call response as tchannel-node decoded it. */
export interface NodeThriftCallResult {
  /** true for code 0x00, false for a declared exception (code 0x01). */
  ok: boolean;
  /** Application headers of the response. */
  head: unknown;
  /** The success value, or the exception's fields when ok is false. */
  body: unknown;
  /** The exception's field name in the `_result` struct when ok is false. */
  typeName: string | null;
  /** Transport headers of the call response. */
  headers: Record<string, string>;
}

export interface NodeThriftCallOutcome {
  result?: NodeThriftCallResult;
  /** A transport error, or tchannel-node's thrift parse error for a response it could not decode. */
  error?: NodeCallError;
}

// ---- streaming (see "Streaming" in peer-process.js) ----------------------------------------

/**
 * A body written chunk by chunk: `chunks` chunks of `size` bytes, chunk i being
 * `pattern(size, seed + i)` (interop-helpers.ts), `gapMs` apart (0: one event-loop turn apart).
 */
export interface NodeStreamBody {
  chunks: number;
  size: number;
  gapMs: number;
  seed: number;
}

/** One chunk as it was written or as it arrived; `at` is ms since the epoch (sub-ms precision). */
export interface NodeChunkTime {
  at: number;
  size: number;
}

/** An arg as tchannel-node read it, chunk by chunk as it arrived. */
export interface NodeArgRecord {
  /** Whether it came as a stream (a fragmented message) rather than a Buffer. */
  streamed: boolean;
  total: number;
  crc32c: number;
  chunks: NodeChunkTime[];
  endedAt: number;
  /** The bytes, when asked for (keepBody; stream-read: bodies up to 1 MiB). */
  body?: Buffer;
}

/** A body tchannel-node wrote chunk by chunk. */
export interface NodeBodyWrites {
  startedAt: number;
  endedAt: number;
  total: number;
  crc32c: number;
  /** `at`: just before each write. */
  writes: NodeChunkTime[];
}

/** A streamed call from tchannel-node's client (StreamingOutRequest). */
export interface NodeStreamedCallRequest {
  hostPort: string;
  service: string;
  endpoint: string;
  arg2?: string | Buffer;
  /** The whole arg3 (ignored when `body` is given). */
  arg3?: string | Buffer;
  /** arg3 written chunk by chunk over time. */
  body?: NodeStreamBody;
  /** ms; absent: 2000 (harness default). tchannel-node's timeout also covers reading the response. */
  timeout?: number;
  /** Transport headers merged over { as: 'raw', cn: 'node-client' }. */
  headers?: Record<string, string>;
  /** Return the response's arg3 bytes (arg3.body). */
  keepBody?: boolean;
}

export interface NodeStreamedCallResult {
  ok: boolean;
  code: number;
  headers: Record<string, string>;
  checksumType: number | null;
  /** Whether the response came fragmented (tchannel-node's StreamingInResponse). */
  streamed: boolean;
  /** When tchannel-node started sending the request. */
  sendStartedAt: number;
  /** When the response's first frame reached tchannel-node. */
  responseAt: number;
  /** How `body` was written (null when arg3 was sent whole). */
  sent: NodeBodyWrites | null;
  arg2: Buffer;
  arg3: NodeArgRecord;
}

export interface NodeStreamedCallOutcome {
  result?: NodeStreamedCallResult;
  error?: NodeCallError;
}

/** What one of the harness's streamed endpoints (stream-read, stream-write) saw and wrote. */
export interface NodeStreamRecord {
  endpoint: string;
  /** When the handler was called (the request's first frame). */
  startedAt: number;
  /** Whether the request came fragmented (StreamingInRequest) rather than in one frame. */
  requestStreamed: boolean;
  arg2Length: number;
  arg3: NodeArgRecord | null;
  /** stream-write: how the response body was written. */
  writes: NodeBodyWrites | null;
  error: { name: string; message: string } | null;
}

/** The JSON body stream-read answers with. */
export interface NodeStreamReadSummary {
  requestStreamed: boolean;
  startedAt: number;
  arg2Length: number;
  /** With `body` when the arg3 was at most 1 MiB. */
  arg3: NodeArgRecord;
}

export interface NodeListenOptions {
  /** Force this checksum type on every response (by default tchannel-node echoes the request's). */
  checksumType?: ChecksumType;
  /** Service name the endpoints are registered under; default 'node-server'. */
  serviceName?: string;
  /** tchannel-node's channel options; both default to true (missing as/cn is an error). */
  requireAs?: boolean;
  requireCn?: boolean;
  /** Service name tchannel-node's json endpoints (echo, app-error, no-head, seen, handler-error) are served under; default 'node-json-server'. */
  jsonServiceName?: string;
}

export interface NodeTracing {
  spanid: string;
  parentid: string;
  traceid: string;
  flags: number;
}

/** What the listening tchannel-node saw of one incoming call. */
export interface NodeServedCall {
  service: string;
  endpoint: string;
  callerName: string;
  headers: Record<string, string>;
  checksumType: number | null;
  ttl: number;
  tracing: NodeTracing | null;
  flags: number;
  remoteAddr: string | null;
  arg2Length: number;
  arg3Length: number;
}

export interface NodeLogEntry {
  source: string;
  level: string;
  msg: string;
  meta: unknown;
}

export interface NodePeerProblem {
  kind: string;
  name: string;
  message: string;
  stack: string;
}

// ---- hyperbahn (see "Hyperbahn" in peer-process.js) ----------------------------------------

/** tchannel-node's HyperbahnClient (hyperbahn-client.js) advertising to routers under test. */
export interface NodeHyperbahnAdvertiseRequest {
  /** Router host:ports (HyperbahnClient's hostPortList). */
  routers: string[];
  /** The service advertised; absent: 'node-hyperbahn-service'. */
  serviceName?: string;
  /** ms between advertisements (each ± half of it, tchannel-node's fuzz); absent: 60 000. */
  advertiseInterval?: number;
  /** ms until HyperbahnClient gives up on the first advertisement (hardFail); absent: 2000. */
  advertisementTimeout?: number;
}

export interface NodeHyperbahnAdvertiseOutcome {
  /** At the first `advertised` event: the advertising channel's host_port and the router's answer as tchannel-node decoded it. */
  result?: { hostPort: string; ok: boolean; head: unknown; body: unknown };
  /** HyperbahnClient's `error` event (advertisement timeout, or an application error from the router). */
  error?: NodeCallError;
}

/** What the `ad`/`unad` json endpoints decoded, when tchannel-node plays the router. */
export interface NodeHyperbahnSeen {
  endpoint: string;
  service: string;
  callerName: string;
  as: string;
  head: unknown;
  body: unknown;
  /** The host_port the caller's init announced, which a router registers. */
  remoteHostPort: string | null;
}

export class NodePeerError extends Error {
  override name = 'NodePeerError';
}

const SCRIPT = path.join(__dirname, 'peer-process.js');
const START_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
const STDERR_TAIL_CHARS = 8_192;

interface Pending {
  cmd: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const live = new Set<NodePeer>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const peer of live) peer.kill();
  });
}

// ---- narrowing helpers -------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Obj, key: string, fallback = ''): string {
  const v = obj[key];
  return typeof v === 'string' ? v : fallback;
}

function num(obj: Obj, key: string, fallback = 0): number {
  const v = obj[key];
  return typeof v === 'number' ? v : fallback;
}

function numOrNull(obj: Obj, key: string): number | null {
  const v = obj[key];
  return typeof v === 'number' ? v : null;
}

function strRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function b64(value: string | Buffer | undefined): string {
  if (value === undefined) return '';
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
}

function problemOf(value: unknown, kind: string): NodePeerProblem {
  if (!isObj(value)) return { kind, name: 'Error', message: String(value), stack: '' };
  return { kind, name: str(value, 'name', 'Error'), message: str(value, 'message'), stack: str(value, 'stack') };
}

function parseTracing(value: unknown): NodeTracing | null {
  if (!isObj(value)) return null;
  return {
    spanid: str(value, 'spanid'),
    parentid: str(value, 'parentid'),
    traceid: str(value, 'traceid'),
    flags: num(value, 'flags'),
  };
}

function parseCallError(value: Obj): NodeCallError {
  const err: NodeCallError = {
    type: str(value, 'type', 'unknown'),
    name: str(value, 'name', 'Error'),
    message: str(value, 'message'),
  };
  if (typeof value['codeName'] === 'string') err.codeName = value['codeName'];
  if (typeof value['isErrorFrame'] === 'boolean') err.isErrorFrame = value['isErrorFrame'];
  if (typeof value['errorCode'] === 'number') err.errorCode = value['errorCode'];
  return err;
}

function parseCallOutcome(value: unknown): NodeCallOutcome {
  if (!isObj(value)) throw new NodePeerError(`call: malformed answer ${JSON.stringify(value)}`);
  const error = value['error'];
  if (isObj(error)) return { error: parseCallError(error) };
  const result = value['result'];
  if (!isObj(result)) throw new NodePeerError(`call: answer has neither result nor error`);
  return {
    result: {
      ok: result['ok'] === true,
      arg2: Buffer.from(str(result, 'arg2'), 'base64'),
      arg3: Buffer.from(str(result, 'arg3'), 'base64'),
      code: num(result, 'code'),
      headers: strRecord(result['headers']),
      checksumType: numOrNull(result, 'checksumType'),
    },
  };
}

function parseJsonCallOutcome(value: unknown): NodeJsonCallOutcome {
  if (!isObj(value)) throw new NodePeerError(`callJson: malformed answer ${JSON.stringify(value)}`);
  const error = value['error'];
  if (isObj(error)) return { error: parseCallError(error) };
  const result = value['result'];
  if (!isObj(result)) throw new NodePeerError(`callJson: answer has neither result nor error`);
  return {
    result: {
      ok: result['ok'] === true,
      head: result['head'] ?? null,
      body: result['body'] ?? null,
      headers: strRecord(result['headers']),
    },
  };
}

function parseThriftCallOutcome(value: unknown): NodeThriftCallOutcome {
  if (!isObj(value)) throw new NodePeerError(`callThrift: malformed answer ${JSON.stringify(value)}`);
  const error = value['error'];
  if (isObj(error)) return { error: parseCallError(error) };
  const result = value['result'];
  if (!isObj(result)) throw new NodePeerError(`callThrift: answer has neither result nor error`);
  return {
    result: {
      ok: result['ok'] === true,
      head: result['head'] ?? null,
      body: result['body'] ?? null,
      typeName: typeof result['typeName'] === 'string' ? result['typeName'] : null,
      headers: strRecord(result['headers']),
    },
  };
}

function parseChunkTimes(value: unknown): NodeChunkTime[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObj).map((c) => ({ at: num(c, 'at'), size: num(c, 'size') }));
}

function parseArgRecord(value: unknown): NodeArgRecord {
  if (!isObj(value)) throw new NodePeerError(`malformed arg record ${JSON.stringify(value)}`);
  const rec: NodeArgRecord = {
    streamed: value['streamed'] === true,
    total: num(value, 'total'),
    crc32c: num(value, 'crc32c'),
    chunks: parseChunkTimes(value['chunks']),
    endedAt: num(value, 'endedAt'),
  };
  if (typeof value['body'] === 'string') rec.body = Buffer.from(value['body'], 'base64');
  return rec;
}

function parseBodyWrites(value: unknown): NodeBodyWrites | null {
  if (!isObj(value)) return null;
  return {
    startedAt: num(value, 'startedAt'),
    endedAt: num(value, 'endedAt'),
    total: num(value, 'total'),
    crc32c: num(value, 'crc32c'),
    writes: parseChunkTimes(value['writes']),
  };
}

function parseStreamedCallOutcome(value: unknown): NodeStreamedCallOutcome {
  if (!isObj(value)) throw new NodePeerError(`callStreamed: malformed answer ${JSON.stringify(value)}`);
  const error = value['error'];
  if (isObj(error)) return { error: parseCallError(error) };
  const result = value['result'];
  if (!isObj(result)) throw new NodePeerError(`callStreamed: answer has neither result nor error`);
  return {
    result: {
      ok: result['ok'] === true,
      code: num(result, 'code'),
      headers: strRecord(result['headers']),
      checksumType: numOrNull(result, 'checksumType'),
      streamed: result['streamed'] === true,
      sendStartedAt: num(result, 'sendStartedAt'),
      responseAt: num(result, 'responseAt'),
      sent: parseBodyWrites(result['sent']),
      arg2: Buffer.from(str(result, 'arg2'), 'base64'),
      arg3: parseArgRecord(result['arg3']),
    },
  };
}

function parseStreamRecords(value: unknown): NodeStreamRecord[] {
  if (!Array.isArray(value)) throw new NodePeerError('streamRecords: expected an array');
  return value.filter(isObj).map((rec) => {
    const error = rec['error'];
    return {
      endpoint: str(rec, 'endpoint'),
      startedAt: num(rec, 'startedAt'),
      requestStreamed: rec['requestStreamed'] === true,
      arg2Length: num(rec, 'arg2Length'),
      arg3: isObj(rec['arg3']) ? parseArgRecord(rec['arg3']) : null,
      writes: parseBodyWrites(rec['writes']),
      error: isObj(error) ? { name: str(error, 'name', 'Error'), message: str(error, 'message') } : null,
    };
  });
}

/** Decodes the JSON body the harness's stream-read endpoint answers with. */
export function parseStreamReadSummary(body: Buffer): NodeStreamReadSummary {
  const value: unknown = JSON.parse(body.toString('utf8'));
  if (!isObj(value)) throw new NodePeerError('stream-read: malformed summary');
  return {
    requestStreamed: value['requestStreamed'] === true,
    startedAt: num(value, 'startedAt'),
    arg2Length: num(value, 'arg2Length'),
    arg3: parseArgRecord(value['arg3']),
  };
}

function parseServed(value: unknown): NodeServedCall[] {
  if (!Array.isArray(value)) throw new NodePeerError('served: expected an array');
  return value.filter(isObj).map((rec) => ({
    service: str(rec, 'service'),
    endpoint: str(rec, 'endpoint'),
    callerName: str(rec, 'callerName'),
    headers: strRecord(rec['headers']),
    checksumType: numOrNull(rec, 'checksumType'),
    ttl: num(rec, 'ttl'),
    tracing: parseTracing(rec['tracing']),
    flags: num(rec, 'flags'),
    remoteAddr: typeof rec['remoteAddr'] === 'string' ? rec['remoteAddr'] : null,
    arg2Length: num(rec, 'arg2Length'),
    arg3Length: num(rec, 'arg3Length'),
  }));
}

function parseLogs(value: unknown): NodeLogEntry[] {
  if (!Array.isArray(value)) throw new NodePeerError('logs: expected an array');
  return value.filter(isObj).map((e) => ({
    source: str(e, 'source'),
    level: str(e, 'level'),
    msg: str(e, 'msg'),
    meta: e['meta'],
  }));
}

// ---- the peer ------------------------------------------------------------------------------

export class NodePeer {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitWaiters: Array<() => void> = [];
  private readyWaiter: { resolve: (pid: number) => void; reject: (err: Error) => void } | null = null;
  /** Uncaught exceptions, unhandled rejections and channel errors reported by the child. */
  readonly problems: NodePeerProblem[] = [];
  /** Child pid (known once started). */
  pid = 0;

  private constructor(child: ChildProcess) {
    this.child = child;
    const forward = Boolean(process.env['TCHANNEL_NODE_PEER_DEBUG']);
    const onOutput = (chunk: Buffer): void => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      if (forward) process.stderr.write(chunk);
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.on('message', (msg: unknown) => this.onMessage(msg));
    child.on('error', (err: Error) => {
      this.problems.push({ kind: 'childProcessError', name: err.name, message: err.message, stack: err.stack ?? '' });
      if (!child.connected) this.onGone(`child process error: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      this.onGone('child exited');
    });
  }

  /** Forks a child running tchannel-node and waits until it is ready for commands. */
  static async start(): Promise<NodePeer> {
    const child = fork(SCRIPT, [], {
      execArgv: [],
      silent: true,
      serialization: 'json',
      env: { ...process.env },
    });
    const peer = new NodePeer(child);
    live.add(peer);
    installExitHook();
    let timer: NodeJS.Timeout | undefined;
    try {
      peer.pid = await new Promise<number>((resolve, reject) => {
        peer.readyWaiter = { resolve, reject };
        timer = setTimeout(() => reject(new NodePeerError(`node peer did not start in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      });
    } catch (err) {
      peer.kill();
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      peer.readyWaiter = null;
    }
    return peer;
  }

  /** True once the child process has exited. */
  get exited(): boolean {
    return this.exitInfo !== null;
  }

  /** The child's exit code/signal, once it exited. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  /** Last few KB of the child's stdout/stderr (for diagnosing a crash). */
  get output(): string {
    return this.stderrTail;
  }

  /**
   * Starts a tchannel-node server (port 0 on 127.0.0.1) with the raw test endpoints, the streamed
   * ones (stream-read, stream-write: see peer-process.js) and, under `jsonServiceName`, the json
   * ones; returns its hostPort.
   */
  async listen(opts: NodeListenOptions = {}): Promise<string> {
    const value = await this.request('listen', { ...opts });
    if (!isObj(value) || typeof value['hostPort'] !== 'string') {
      throw new NodePeerError(`listen: malformed answer ${JSON.stringify(value)}`);
    }
    return value['hostPort'];
  }

  /** Makes one raw call from the child's tchannel-node client channel. */
  async call(req: NodeCallRequest): Promise<NodeCallOutcome> {
    const params: Obj = {
      hostPort: req.hostPort,
      service: req.service,
      arg1: b64(req.arg1),
      arg2: b64(req.arg2),
      arg3: b64(req.arg3),
    };
    if (req.timeout !== undefined) params['timeout'] = req.timeout;
    if (req.checksumType !== undefined) params['checksumType'] = req.checksumType;
    if (req.headers !== undefined) params['headers'] = req.headers;
    if (req.retryLimit !== undefined) params['retryLimit'] = req.retryLimit;
    if (req.retryFlags !== undefined) params['retryFlags'] = req.retryFlags;
    return parseCallOutcome(await this.request('call', params));
  }

  /** Makes one json call with tchannel-node's json scheme from the child's client channel. */
  async callJson(req: NodeJsonCallRequest): Promise<NodeJsonCallOutcome> {
    const params: Obj = { hostPort: req.hostPort, service: req.service, endpoint: req.endpoint };
    if ('head' in req) params['head'] = req.head;
    if ('body' in req) params['body'] = req.body;
    if (req.timeout !== undefined) params['timeout'] = req.timeout;
    if (req.headers !== undefined) params['headers'] = req.headers;
    return parseJsonCallOutcome(await this.request('callJson', params));
  }

  /** Starts a tchannel-node thrift server (port 0 on 127.0.0.1, its own channel) for an IDL; returns its hostPort. */
  async listenThrift(opts: NodeThriftListenOptions): Promise<string> {
    const value = await this.request('listenThrift', { ...opts });
    if (!isObj(value) || typeof value['hostPort'] !== 'string') {
      throw new NodePeerError(`listenThrift: malformed answer ${JSON.stringify(value)}`);
    }
    return value['hostPort'];
  }

  /** Makes one thrift call with tchannel-node's thrift scheme from the child's client channel. */
  async callThrift(req: NodeThriftCallRequest): Promise<NodeThriftCallOutcome> {
    const params: Obj = { hostPort: req.hostPort, service: req.service, idl: req.idl, endpoint: req.endpoint };
    if (req.head !== undefined) params['head'] = req.head;
    if (req.body !== undefined) params['body'] = req.body;
    if (req.timeout !== undefined) params['timeout'] = req.timeout;
    if (req.headers !== undefined) params['headers'] = req.headers;
    return parseThriftCallOutcome(await this.request('callThrift', params));
  }

  /** Sets what the listenThrift server's Meta::health answers (tchannel-node's isHealthy hook). */
  async setThriftHealth(status: { ok: boolean; message?: string }): Promise<void> {
    await this.request('setThriftHealth', { ...status });
  }

  /**
   * Makes one streamed call (tchannel-node's StreamingOutRequest) from the child's client channel:
   * arg3 whole or written chunk by chunk (`body`); the response's arg3 is read as it arrives.
   */
  async callStreamed(req: NodeStreamedCallRequest): Promise<NodeStreamedCallOutcome> {
    const params: Obj = { hostPort: req.hostPort, service: req.service, endpoint: req.endpoint, arg2: b64(req.arg2) };
    if (req.body !== undefined) params['body'] = { ...req.body };
    else params['arg3'] = b64(req.arg3);
    if (req.timeout !== undefined) params['timeout'] = req.timeout;
    if (req.headers !== undefined) params['headers'] = req.headers;
    if (req.keepBody !== undefined) params['keepBody'] = req.keepBody;
    return parseStreamedCallOutcome(await this.request('callStreamed', params));
  }

  /** What the streamed endpoints (stream-read, stream-write) saw and wrote (oldest first); `clear` empties the record. */
  async streamRecords(clear = false): Promise<NodeStreamRecord[]> {
    return parseStreamRecords(await this.request('streamRecords', { clear }));
  }

  /** Calls served so far by this peer's server (oldest first); `clear` empties the record. */
  async served(clear = false): Promise<NodeServedCall[]> {
    return parseServed(await this.request('served', { clear }));
  }

  /** What tchannel-node logged (client and server channels); `clear` empties the record. */
  async logs(clear = false): Promise<NodeLogEntry[]> {
    return parseLogs(await this.request('logs', { clear }));
  }

  /**
   * Starts tchannel-node's HyperbahnClient on a listening channel of its own and advertises to
   * `routers`; answers at the first `advertised` (or `error`) event. It goes on re-advertising.
   */
  async hyperbahnAdvertise(req: NodeHyperbahnAdvertiseRequest): Promise<NodeHyperbahnAdvertiseOutcome> {
    const value = await this.request('hyperbahnAdvertise', { ...req });
    if (!isObj(value)) throw new NodePeerError(`hyperbahnAdvertise: malformed answer ${JSON.stringify(value)}`);
    const error = value['error'];
    if (isObj(error)) return { error: parseCallError(error) };
    const result = value['result'];
    if (!isObj(result)) throw new NodePeerError('hyperbahnAdvertise: answer has neither result nor error');
    return { result: { hostPort: str(value, 'hostPort'), ok: result['ok'] === true, head: result['head'], body: result['body'] } };
  }

  /** HyperbahnClient.unadvertise(), then destroys the client; resolves with how many advertisements succeeded. */
  async hyperbahnUnadvertise(): Promise<{ advertisedCount?: number; error?: NodeCallError }> {
    const value = await this.request('hyperbahnUnadvertise', {});
    if (!isObj(value)) throw new NodePeerError(`hyperbahnUnadvertise: malformed answer ${JSON.stringify(value)}`);
    const error = value['error'];
    if (isObj(error)) return { error: parseCallError(error) };
    return { advertisedCount: num(value, 'advertisedCount') };
  }

  /** What the `ad`/`unad` json endpoints decoded (oldest first); `clear` empties the record. */
  async hyperbahnSeen(clear = false): Promise<NodeHyperbahnSeen[]> {
    const value = await this.request('hyperbahnSeen', { clear });
    if (!Array.isArray(value)) throw new NodePeerError(`hyperbahnSeen: malformed answer ${JSON.stringify(value)}`);
    return value.filter(isObj).map((rec) => ({
      endpoint: str(rec, 'endpoint'),
      service: str(rec, 'service'),
      callerName: str(rec, 'callerName'),
      as: str(rec, 'as'),
      head: rec['head'],
      body: rec['body'],
      remoteHostPort: typeof rec['remoteHostPort'] === 'string' ? rec['remoteHostPort'] : null,
    }));
  }

  /** SIGKILLs the child. Pending requests are rejected when it exits. */
  kill(): void {
    if (this.exitInfo === null && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }

  /** Closes tchannel-node's channels and waits for the child to exit (killing it if it lingers). */
  async close(): Promise<void> {
    if (this.exitInfo !== null) return;
    const exited = this.waitForExit();
    try {
      await Promise.race([this.request('close', {}), exited]);
    } catch {
      // The child died first: that is what we wanted anyway.
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
    });
    try {
      if ((await Promise.race([exited, timedOut])) === 'timeout') {
        this.kill();
        await exited;
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Resolves once the child process has exited (immediately if it already has). */
  waitForExit(): Promise<void> {
    if (this.exitInfo !== null) return Promise.resolve();
    return new Promise<void>((resolve) => this.exitWaiters.push(resolve));
  }

  // ---- internals ---------------------------------------------------------------------------

  private request(cmd: string, params: Obj): Promise<unknown> {
    if (this.exitInfo !== null || !this.child.connected) {
      return Promise.reject(new NodePeerError(`node peer ${cmd}: child is gone${this.describeExit()}`));
    }
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { cmd, resolve, reject });
      this.child.send({ ...params, id, cmd }, (err: Error | null) => {
        if (err) {
          this.pending.delete(id);
          reject(new NodePeerError(`node peer ${cmd}: IPC send failed: ${err.message}`));
        }
      });
    });
  }

  private onMessage(msg: unknown): void {
    if (!isObj(msg)) return;
    const event = msg['event'];
    if (typeof event === 'string') {
      if (event === 'ready') {
        this.readyWaiter?.resolve(num(msg, 'pid'));
      } else if (event === 'uncaught') {
        this.problems.push(problemOf(msg['error'], str(msg, 'kind', 'uncaught')));
      }
      return;
    }
    const id = msg['id'];
    if (typeof id !== 'number') return;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (msg['ok'] === true) {
      pending.resolve(msg['value']);
    } else {
      const p = problemOf(msg['error'], pending.cmd);
      const err = new NodePeerError(`node peer ${pending.cmd} failed: ${p.name}: ${p.message}`);
      if (p.stack) err.stack = `${err.name}: ${err.message}\n--- child stack ---\n${p.stack}`;
      pending.reject(err);
    }
  }

  private describeExit(): string {
    const exit = this.exitInfo ? ` (code ${String(this.exitInfo.code)}, signal ${String(this.exitInfo.signal)})` : '';
    const tail = this.stderrTail.trim();
    return tail ? `${exit}; output:\n${tail}` : exit;
  }

  private onGone(reason: string): void {
    live.delete(this);
    const detail = this.describeExit();
    this.readyWaiter?.reject(new NodePeerError(`node peer failed to start: ${reason}${detail}`));
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new NodePeerError(`node peer ${pending.cmd}: ${reason}${detail}`));
    }
    if (this.exitInfo !== null) {
      for (const resolve of this.exitWaiters.splice(0)) resolve();
    }
  }
}
