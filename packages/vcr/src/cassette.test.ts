import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadRequestError, TChannelApplicationError, TChannelError } from '@tchannel/core';
import { JsonApplicationError } from '@tchannel/json';
import * as yaml from 'js-yaml';
import { Cassette } from './cassette';
import { RecordMode } from './record-mode';
import { createClient, startServer, tempDir, type TestServer } from './test-fixtures';
import { CassetteFormatError, UnexpectedCallError, VcrError } from './vcr-errors';

let dir: { path: string; remove: () => Promise<void> };
let server: TestServer;
let clients: Array<ReturnType<typeof createClient>> = [];
let fileCount = 0;

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir.remove());
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await Promise.all([server.close(), ...clients.map(({ channel }) => channel.close({ gracePeriod: 0 }))]);
  clients = [];
});

function client(): ReturnType<typeof createClient> {
  const created = createClient();
  clients.push(created);
  return created;
}

function cassettePath(): string {
  return join(dir.path, `cassette-${++fileCount}`, 'calls.yaml');
}

/** Writes a cassette file by hand, creating its directory. */
async function writeNew(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x24]);

/** Records one raw and one json call against the live server into a new cassette at `path`. */
async function recordRawAndJson(path: string): Promise<void> {
  const { channel, raw, json } = client();
  const cassette = await Cassette.load(path, { channels: [channel] });
  expect(cassette.existed).toBe(false);
  const echoed = await raw.call({ service: 'kv', endpoint: 'echo', headers: 'h1', body: BINARY, hostport: server.hostport });
  expect(echoed.body).toEqual(BINARY);
  const got = await json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v' }, hostport: server.hostport });
  expect(got.body).toEqual({ key: 'a', value: 'A' });
  await cassette.close();
}

describe('Cassette', () => {
  test('records raw and json calls, then replays them byte for byte with the server gone', async () => {
    const path = cassettePath();
    await recordRawAndJson(path);
    expect(server.hits()).toBe(2);

    const document = yaml.load(await readFile(path, 'utf8')) as { version: number; interactions: Array<{ request: Record<string, unknown>; response: Record<string, unknown> }> };
    expect(document.version).toBe(1);
    expect(document.interactions.map((i) => [i.request['endpoint'], i.request['argScheme'], i.response['code']])).toEqual([['echo', 0, 0], ['get', 1, 0]]);
    expect(document.interactions[0]?.request).toMatchObject({ serviceName: 'kv', headers: 'h1', hostPort: server.hostport, knownPeers: [], transportHeaders: [] });
    expect(document.interactions[1]?.response).toMatchObject({ body: '{"key":"a","value":"A"}', headers: '{"echoed":"v"}' });

    await server.close();
    const modified = (await stat(path)).mtimeMs;
    const { channel, raw, json, connections } = client();
    const cassette = await Cassette.load(path, { channels: [channel] });
    expect(cassette.existed).toBe(true);
    const echoed = await raw.call({ service: 'kv', endpoint: 'echo', headers: 'h1', body: BINARY, hostport: server.hostport });
    expect(echoed.body).toEqual(BINARY);
    expect(echoed.headers).toEqual(Buffer.from('h1'));
    expect(echoed.hostPort).toBe(server.hostport);
    expect(echoed.transportHeaders).toEqual({ as: 'raw' });
    const got = await json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v' }, hostport: server.hostport });
    expect(got.body).toEqual({ key: 'a', value: 'A' });
    expect({ ...got.headers }).toEqual({ echoed: 'v' });
    expect(cassette.playCount).toBe(2);
    await cassette.close();
    // No connection was even attempted, and a cassette that only replayed is not rewritten.
    expect(connections()).toBe(0);
    expect((await stat(path)).mtimeMs).toBe(modified);
  });

  test('records calls without hostport with the answering peer as knownPeers', async () => {
    const path = cassettePath();
    const { channel, raw } = client();
    channel.addPeer(server.hostport);
    const cassette = await Cassette.load(path, { channels: [channel] });
    await raw.call({ service: 'kv', endpoint: 'echo', body: 'x', transportHeaders: { sk: 'shard' } });
    await cassette.close();
    const [read] = cassette.interactions;
    expect(read?.request).toMatchObject({ hostPort: '', knownPeers: [server.hostport], transportHeaders: [{ key: 'sk', value: 'shard' }] });

    const replayer = client();
    await using replaying = await Cassette.load(path, { recordMode: RecordMode.None, channels: [replayer.channel] });
    const echoed = await replayer.raw.call({ service: 'kv', endpoint: 'echo', body: 'x' });
    expect(echoed.hostPort).toBe(server.hostport);
    expect(replaying.playCount).toBe(1);
  });

  describe('record modes', () => {
    test("'once' with an existing file replays and rejects new calls without reaching the server", async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      const { channel, raw } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.Once, channels: [channel] });
      expect(cassette.writeProtected).toBe(true);
      const call = raw.call({ service: 'kv', endpoint: 'echo', body: 'new', hostport: server.hostport });
      await expect(call).rejects.toThrow(UnexpectedCallError);
      await expect(call).rejects.toThrow(/no unplayed interaction matching kv::echo \(raw\) headers="" body="new"; 2 left:\n {2}1\. kv::echo \(raw\) headers="h1" body=<00fffe800a24>\n {2}2\. kv::get \(json\)/);
      const error = (await call.catch((err: unknown) => err)) as UnexpectedCallError;
      expect(error).toBeInstanceOf(TChannelError);
      expect(error.recordMode).toBe('once');
      expect(error.available).toHaveLength(2);
      expect(server.hits()).toBe(2);
      await cassette.close();
    });

    test("'new_episodes' replays what matches and records the rest", async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      const { channel, raw } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.NewEpisodes, channels: [channel] });
      await raw.call({ service: 'kv', endpoint: 'echo', headers: 'h1', body: BINARY, hostport: server.hostport });
      expect(server.hits()).toBe(2);
      await raw.call({ service: 'kv', endpoint: 'echo', body: 'new', hostport: server.hostport });
      expect(server.hits()).toBe(3);
      await cassette.close();
      const saved = await Cassette.load(path);
      // Played first, then unplayed, then recorded.
      expect(saved.interactions.map(({ request }) => `${request.endpoint}:${request.body.toString('hex')}`)).toEqual([
        `echo:${BINARY.toString('hex')}`,
        `get:${Buffer.from('{"key":"a"}').toString('hex')}`,
        `echo:${Buffer.from('new').toString('hex')}`,
      ]);
    });

    test("'none' replays and rejects new calls, also for a cassette file that does not exist", async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      const { channel, raw, json } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.None, channels: [channel] });
      await json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v' }, hostport: server.hostport });
      await expect(json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v' }, hostport: server.hostport })).rejects.toThrow(UnexpectedCallError);
      await cassette.close();

      const missing = cassettePath();
      const empty = await Cassette.load(missing, { recordMode: RecordMode.None });
      empty.attach(channel);
      await expect(raw.call({ service: 'kv', endpoint: 'echo', hostport: server.hostport })).rejects.toThrow(/none is left/);
      await empty.close();
      await expect(stat(missing)).rejects.toThrow(/ENOENT/);
      expect(server.hits()).toBe(2);
    });

    test("'all' replays nothing, records everything and forgets what the file held", async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      // A file whose recorded answer the server would not give: 'all' must not replay it.
      await writeFile(path, (await readFile(path, 'utf8')).replace('{"key":"a","value":"A"}', '{"stale":true}'));
      const { channel, json } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.All, channels: [channel] });
      expect(cassette.interactions).toHaveLength(0);
      const got = await json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v' }, hostport: server.hostport });
      expect(got.body).toEqual({ key: 'a', value: 'A' });
      expect(server.hits()).toBe(3);
      await cassette.close();
      const saved = await Cassette.load(path);
      expect(saved.interactions.map(({ request }) => request.endpoint)).toEqual(['get']);
      expect(saved.interactions[0]?.response.body.toString()).toBe('{"key":"a","value":"A"}');
    });

    test("'all' replaces a broken cassette file", async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      await writeFile(path, 'version: 1\ninteractions: [');
      const { channel, raw } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.All, channels: [channel] });
      await raw.call({ service: 'kv', endpoint: 'echo', body: 'x', hostport: server.hostport });
      await cassette.close();
      expect((await Cassette.load(path)).interactions).toHaveLength(1);
    });

    test('an invalid record mode is a VcrError', async () => {
      await expect(Cassette.load(cassettePath(), { recordMode: 'sometimes' as RecordMode })).rejects.toThrow(VcrError);
      expect((await Cassette.load(cassettePath(), { recordMode: 'NEW_EPISODES' as RecordMode })).recordMode).toBe('new_episodes');
    });
  });

  test('replays repeated identical calls in recorded order, each interaction once', async () => {
    const path = cassettePath();
    const recorder = client();
    const recording = await Cassette.load(path, { channels: [recorder.channel] });
    const call = (raw: typeof recorder.raw): Promise<string> => raw.call({ service: 'kv', endpoint: 'count', hostport: server.hostport }).then(({ body }) => body.toString());
    expect([await call(recorder.raw), await call(recorder.raw), await call(recorder.raw)]).toEqual(['1', '2', '3']);
    await recording.close();

    const replayer = client();
    const replaying = await Cassette.load(path, { channels: [replayer.channel] });
    expect([await call(replayer.raw), await call(replayer.raw), await call(replayer.raw)]).toEqual(['1', '2', '3']);
    await expect(call(replayer.raw)).rejects.toThrow(UnexpectedCallError);
    await replaying.close();
    expect(server.hits()).toBe(3);
  });

  test('saves concurrent calls in the order they were made, not the order they ended', async () => {
    const path = cassettePath();
    const { channel, raw } = client();
    const cassette = await Cassette.load(path, { channels: [channel] });
    const slow = raw.call({ service: 'kv', endpoint: 'slow', body: '60', hostport: server.hostport });
    const fast = raw.call({ service: 'kv', endpoint: 'slow', body: '0', hostport: server.hostport });
    await fast;
    // close() waits for the call still recording.
    await cassette.close();
    await slow;
    expect((await Cassette.load(path)).interactions.map(({ request }) => request.body.toString())).toEqual(['60', '0']);
  });

  test('records application errors (code 1) and replays them as such', async () => {
    const path = cassettePath();
    const recorder = client();
    const recording = await Cassette.load(path, { channels: [recorder.channel] });
    await expect(recorder.json.call({ service: 'kv', endpoint: 'missing', body: { key: 'z' }, hostport: server.hostport })).rejects.toThrow(JsonApplicationError);
    await expect(recorder.raw.call({ service: 'kv', endpoint: 'fail', hostport: server.hostport })).rejects.toThrow(TChannelApplicationError);
    await recording.close();
    expect(recording.interactions.map(({ response }) => response.code)).toEqual([1, 1]);
    await server.close();

    const replayer = client();
    const replaying = await Cassette.load(path, { recordMode: RecordMode.None, channels: [replayer.channel] });
    const jsonError = await replayer.json.call({ service: 'kv', endpoint: 'missing', body: { key: 'z' }, hostport: server.hostport }).catch((err: unknown) => err);
    expect(jsonError).toBeInstanceOf(JsonApplicationError);
    expect((jsonError as JsonApplicationError).body).toEqual({ type: 'kv.not-found', message: 'no key z' });
    expect((jsonError as JsonApplicationError).responseCode).toBe(1);
    const rawError = await replayer.raw.call({ service: 'kv', endpoint: 'fail', hostport: server.hostport }).catch((err: unknown) => err);
    expect(rawError).toBeInstanceOf(TChannelApplicationError);
    expect((rawError as TChannelApplicationError).body).toEqual(Buffer.from([0xde, 0xad]));
    expect((rawError as TChannelApplicationError).headers).toEqual(Buffer.from('h'));
    await replaying.close();
  });

  test('does not record calls answered with an error frame', async () => {
    const path = cassettePath();
    const { channel, raw } = client();
    const cassette = await Cassette.load(path, { channels: [channel] });
    await expect(raw.call({ service: 'kv', endpoint: 'nope', hostport: server.hostport })).rejects.toThrow(BadRequestError);
    await raw.call({ service: 'kv', endpoint: 'echo', body: 'ok', hostport: server.hostport });
    await cassette.close();
    expect((await Cassette.load(path)).interactions.map(({ request }) => request.endpoint)).toEqual(['echo']);

    const onlyErrors = cassettePath();
    const failing = await Cassette.load(onlyErrors);
    failing.detach();
    cassette.detach();
    failing.attach(channel);
    await expect(raw.call({ service: 'kv', endpoint: 'nope', hostport: server.hostport })).rejects.toThrow(BadRequestError);
    await failing.close();
    await expect(stat(onlyErrors)).rejects.toThrow(/ENOENT/);
  });

  test('replays a cassette written by tchannel-python', async () => {
    const path = cassettePath();
    await writeNew(
      path,
      [
        'interactions:',
        '- request:',
        '    argScheme: 1',
        `    body: !!python/unicode '{"key": "a"}'`,
        "    endpoint: !!python/unicode 'get'",
        `    headers: '{"$tracing$uber-trace-id": "abc:def:0:1", "k": "v"}'`,
        "    hostPort: ''",
        '    knownPeers:',
        '    - 10.0.0.1:4040',
        "    serviceName: !!python/unicode 'kv'",
        '    transportHeaders: []',
        '  response:',
        `    body: '{"key": "a", "value": "from python"}'`,
        '    code: 0',
        "    headers: '{}'",
        '- request:',
        '    argScheme: 0',
        '    body: !!binary |',
        '      AP8=',
        "    endpoint: !!python/unicode 'echo'",
        "    headers: ''",
        "    hostPort: ''",
        '    knownPeers: []',
        "    serviceName: !!python/unicode 'kv'",
        '    transportHeaders: []',
        '  response:',
        '    body: !!binary |',
        '      AAEC/w==',
        '    code: 0',
        "    headers: ''",
        'version: 1',
        '',
      ].join('\n'),
    );
    await server.close();
    const { channel, raw, json } = client();
    channel.addPeer(server.hostport);
    await using cassette = await Cassette.load(path, { channels: [channel] });
    // The recorded call carried a different trace id: $tracing$ headers are not matched.
    const got = await json.call({ service: 'kv', endpoint: 'get', body: { key: 'a' }, headers: { k: 'v', '$tracing$uber-trace-id': 'other' } });
    expect(got.body).toEqual({ key: 'a', value: 'from python' });
    expect(got.hostPort).toBe('10.0.0.1:4040');
    // The recorded body has Python's spacing, `{"key": "a"}`: json bodies match as JSON values.
    expect(cassette.playCount).toBe(1);
    const echoed = await raw.call({ service: 'kv', endpoint: 'echo', body: Buffer.from([0x00, 0xff]) });
    expect(echoed.body).toEqual(Buffer.from([0, 1, 2, 0xff]));
  });

  test('matches thrift calls ignoring $tracing$ headers', async () => {
    const path = cassettePath();
    // arg2 nh:2 (k~2 v~2): {"$tracing$span": "a", "k": "v"}
    const recorded = Buffer.from('0002000d2474726163696e67247370616e00016100016b000176', 'hex');
    await writeNew(
      path,
      yaml.dump({
        version: 1,
        interactions: [
          {
            request: { serviceName: 'kv', endpoint: 'KV::get', headers: recorded, body: Buffer.from([0x0c, 0x00]), argScheme: 2 },
            response: { code: 0, headers: Buffer.from([0, 0]), body: Buffer.from([0x0b, 0x00, 0x00, 0x00]) },
          },
        ],
      }),
    );
    const { channel } = client();
    await using cassette = await Cassette.load(path, { recordMode: RecordMode.None, channels: [channel] });
    // The same headers in another order, with another span.
    const arg2 = Buffer.from('000200016b000176000d2474726163696e67247370616e000162', 'hex');
    const result = await channel.call({ scheme: 'thrift', service: 'kv', arg1: 'KV::get', arg2, arg3: Buffer.from([0x0c, 0x00]), hostport: server.hostport });
    expect(result.arg3).toEqual(Buffer.from([0x0b, 0, 0, 0]));
    expect(result.headers).toEqual({ as: 'thrift' });
    expect(cassette.playCount).toBe(1);
  });

  test('rejects calls with a scheme cassettes cannot hold', async () => {
    const { channel } = client();
    await using _cassette = await Cassette.load(cassettePath(), { channels: [channel] });
    await expect(channel.call({ scheme: 'proto', service: 'kv', arg1: 'x', hostport: server.hostport })).rejects.toThrow(/cannot hold a call with scheme "proto"/);
  });

  describe('attach / detach', () => {
    test('a detached channel calls the network again; re-attaching resumes', async () => {
      const path = cassettePath();
      await recordRawAndJson(path);
      const { channel, raw } = client();
      const cassette = await Cassette.load(path, { recordMode: RecordMode.None });
      cassette.attach(channel).attach(channel);
      cassette.detach(channel);
      await raw.call({ service: 'kv', endpoint: 'echo', body: 'live', hostport: server.hostport });
      expect(server.hits()).toBe(3);
      cassette.attach(channel);
      await expect(raw.call({ service: 'kv', endpoint: 'echo', body: 'live', hostport: server.hostport })).rejects.toThrow(UnexpectedCallError);
      await cassette.close();
      // Closing detaches.
      await raw.call({ service: 'kv', endpoint: 'echo', body: 'live', hostport: server.hostport });
      expect(server.hits()).toBe(4);
    });

    test('one cassette per channel at a time; a closed cassette cannot attach', async () => {
      const { channel } = client();
      const first = await Cassette.load(cassettePath(), { channels: [channel] });
      const second = await Cassette.load(cassettePath());
      expect(() => second.attach(channel)).toThrow(/already plays cassette/);
      await first.close();
      second.attach(channel);
      await second.close();
      expect(() => second.attach(channel)).toThrow(/is closed/);
      expect(second.close()).toBe(second.close());
    });
  });

  test('load rejects a file that is not UTF-8, or of another version, with CassetteFormatError', async () => {
    const path = cassettePath();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, Buffer.concat([Buffer.from('version: 1\ninteractions: []\n# '), Buffer.from([0xff])]));
    await expect(Cassette.load(path)).rejects.toThrow(CassetteFormatError);
    await expect(Cassette.load(path)).rejects.toThrow(/not UTF-8/);
    await writeFile(path, 'version: 2\ninteractions: []\n');
    await expect(Cassette.load(path)).rejects.toMatchObject({ name: 'CassetteFormatError', path, reason: expect.stringMatching(/unsupported version 2/) });
  });

  test('load reports an unreadable path as a VcrError', async () => {
    await expect(Cassette.load(dir.path)).rejects.toThrow(VcrError);
    await expect(Cassette.load(dir.path)).rejects.toThrow(/cannot read cassette/);
  });
});
