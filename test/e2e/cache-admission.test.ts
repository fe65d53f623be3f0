/**
 * cache.admission end to end (OpenAI SDK, the mock upstream, memory store): with `adaptive`, once
 * `window` lookups in a row missed, an answer (JSON or stream) is stored only the second time its
 * request is seen; a hit turns first-sight storing back on; `refresh` always stores; `always`
 * stores every miss. The stats and metrics say which way it stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import { CACHE_ADMIN as ADMIN, CACHE_KEY_A as KEY, cacheConfig } from '../helpers/cache-config.js';
import { buildConfig } from '../helpers/stack.js';

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(() => mock.close());

interface Stats {
  admission: { mode: string; window: number; storing_on: string };
  since_start: { stored: number; not_admitted: number };
}

/** Runs `fn` against a gateway whose cache has `admission`; closed afterwards. */
async function withGateway(admission: Record<string, unknown>, fn: (g: { url: string; client: OpenAI; headers: (h: Record<string, string>) => OpenAI }) => Promise<void>): Promise<void> {
  const base = cacheConfig(mock.url);
  const g = await startGateway({
    config: buildConfig({ ...base, cache: { ...(base['cache'] as object), admission } }),
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
  });
  const client = (h: Record<string, string>) => new OpenAI({ baseURL: `${g.url}/v1`, apiKey: KEY, maxRetries: 0, defaultHeaders: h });
  try {
    await fn({ url: g.url, client: client({}), headers: client });
  } finally {
    await g.close();
  }
}

/** The x-switchyard-cache header of one JSON question. */
async function ask(client: OpenAI, q: string): Promise<string | null> {
  const { response } = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: q }] }).withResponse();
  return response.headers.get('x-switchyard-cache');
}

/** The header of one streamed question, read to its end; the text must be whole either way. */
async function askStreamed(client: OpenAI, q: string): Promise<string | null> {
  const { data, response } = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: q }], stream: true }).withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  assert.match(text, new RegExp(q));
  return response.headers.get('x-switchyard-cache');
}

async function stats(url: string): Promise<Stats> {
  const res = await fetch(`${url}/api/cache/stats`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as Stats;
}

describe('cache admission', () => {
  test('adaptive: after the window of misses, a request is stored on its second sight; a hit stores on first sight again', () =>
    withGateway({ mode: 'adaptive', window: 3 }, async ({ url, client, headers }) => {
      for (const q of ['one', 'two', 'three']) assert.equal(await ask(client, q), 'miss');
      let s = await stats(url);
      assert.deepEqual(s.admission, { mode: 'adaptive', window: 3, storing_on: 'second-sight' });
      assert.equal(s.since_start.stored, 3, 'the window\'s misses were stored on first sight');
      assert.equal(await ask(client, 'one'), 'hit');
      assert.equal((await stats(url)).admission.storing_on, 'first-sight', 'a hit turns first sight back on');

      for (const q of ['four', 'five', 'six']) assert.equal(await ask(client, q), 'miss');
      assert.equal(await ask(client, 'seven'), 'miss');
      assert.equal(await ask(client, 'seven'), 'miss', 'not stored on its first sight');
      s = await stats(url);
      assert.equal(s.since_start.not_admitted, 1);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^switchyard_cache_second_sight 1$/m);
      assert.match(metrics, /^switchyard_cache_not_admitted_total 1$/m);
      assert.equal(await ask(client, 'seven'), 'hit', 'stored on its second');

      // Streams: the first sight is not assembled for the store, the second is.
      for (const q of ['eight', 'nine', 'ten']) assert.equal(await askStreamed(client, q), 'miss');
      assert.equal(await askStreamed(client, 'eleven'), 'miss');
      assert.equal(await askStreamed(client, 'eleven'), 'miss');
      assert.equal(await askStreamed(client, 'eleven'), 'hit');
      assert.equal(await ask(client, 'eleven'), 'hit', 'a streamed answer serves JSON too');

      // refresh stores whatever the state.
      for (const q of ['a', 'b', 'c']) await ask(client, q);
      assert.equal((await stats(url)).admission.storing_on, 'second-sight');
      assert.equal(await ask(headers({ 'x-switchyard-cache': 'refresh' }), 'twelve'), 'bypass');
      assert.equal(await ask(client, 'twelve'), 'hit');
    }));

  test('always: every miss is stored, however long nothing hits', () =>
    withGateway({ mode: 'always', window: 1 }, async ({ url, client }) => {
      for (const q of ['one', 'two', 'three']) assert.equal(await ask(client, q), 'miss');
      assert.equal(await ask(client, 'three'), 'hit');
      const s = await stats(url);
      assert.equal(s.admission.storing_on, 'first-sight');
      assert.equal(s.since_start.not_admitted, 0);
      assert.equal(s.since_start.stored, 3);
    }));
});
