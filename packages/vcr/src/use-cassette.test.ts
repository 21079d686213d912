import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Cassette } from './cassette';
import { RecordMode, parseRecordMode, recordPolicy } from './record-mode';
import { createClient, startServer, tempDir, type TestServer } from './test-fixtures';
import { useCassette, withCassette } from './use-cassette';
import { UnexpectedCallError, VcrError } from './vcr-errors';

let dir: { path: string; remove: () => Promise<void> };
let server: TestServer;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  dir = await tempDir();
  server = await startServer();
  client = createClient();
});
afterAll(async () => {
  await Promise.all([server.close(), client.channel.close({ gracePeriod: 0 })]);
  await dir.remove();
});

const echo = (body: string): Promise<string> => client.raw.call({ service: 'kv', endpoint: 'echo', body, hostport: server.hostport }).then((res) => res.body.toString());

describe('useCassette', () => {
  test('callback form: records, closes and resolves with the body result', async () => {
    const path = join(dir.path, 'callback.yaml');
    const result = await useCassette(path, { channels: [client.channel] }, async (cassette) => {
      expect(cassette.recordMode).toBe(RecordMode.Once);
      return echo('one');
    });
    expect(result).toBe('one');
    expect(await readFile(path, 'utf8')).toContain('body: one');
    // Closed: the channel is back on the network, and the cassette replays next time.
    const hits = server.hits();
    const replayed = await useCassette(path, async (cassette) => {
      cassette.attach(client.channel);
      return echo('one');
    });
    expect(replayed).toBe('one');
    expect(server.hits()).toBe(hits);
  });

  test('callback form saves what was recorded when the body throws, and rethrows', async () => {
    const path = join(dir.path, 'throws.yaml');
    const failure = new Error('test failed');
    await expect(
      useCassette(path, { channels: [client.channel] }, async () => {
        await echo('kept');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await readFile(path, 'utf8')).toContain('body: kept');
  });

  test('await using closes the cassette at the end of the scope', async () => {
    const path = join(dir.path, 'using.yaml');
    {
      await using cassette = await useCassette(path, { recordMode: RecordMode.NewEpisodes, channels: [client.channel] });
      await echo('scoped');
      expect(cassette.isClosed).toBe(false);
    }
    expect(await readFile(path, 'utf8')).toContain('body: scoped');
    await expect(useCassette(path, { recordMode: RecordMode.None, channels: [client.channel] }, () => echo('other'))).rejects.toThrow(UnexpectedCallError);
  });

  test('withCassette wraps a test function', async () => {
    const path = join(dir.path, 'wrapped.yaml');
    const testFn = withCassette(path, { channels: [client.channel] }, (cassette) => {
      expect(cassette).toBeInstanceOf(Cassette);
      return echo('wrapped');
    });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    await expect(testFn()).resolves.toBe('wrapped');
    await expect(withCassette(path, () => 'no channels')()).resolves.toBe('no channels');
    expect(await readFile(path, 'utf8')).toContain('body: wrapped');
  });

  test('invalid options are VcrErrors', async () => {
    await expect(useCassette(join(dir.path, 'x.yaml'), { recordMode: 'never' as RecordMode })).rejects.toThrow(VcrError);
    await expect(useCassette(join(dir.path, 'x.yaml'), { matchOn: ['method' as never] })).rejects.toThrow(/unknown match field "method"/);
  });
});

describe('RecordMode', () => {
  test("has the seed's values and policies", () => {
    expect(RecordMode).toEqual({ Once: 'once', NewEpisodes: 'new_episodes', None: 'none', All: 'all' });
    expect([true, false].map(recordPolicy(RecordMode.Once).canRecord)).toEqual([false, true]);
    expect(recordPolicy(RecordMode.All)).toMatchObject({ replayable: false, saveUnplayed: false });
    expect(recordPolicy(RecordMode.None).canRecord(false)).toBe(false);
    expect(parseRecordMode('ALL')).toBe('all');
    expect(() => parseRecordMode(undefined)).toThrow(/invalid record mode undefined/);
    expect(() => parseRecordMode('constructor')).toThrow(VcrError);
  });
});
