/**
 * The semantic cache under governance, end to end (OpenAI SDK, the mock upstream, memory counters):
 * the embedding a lookup makes is attributed to the key and team that asked, and counted against
 * their budgets; a key whose budget cannot hold it is still answered, without the lookup.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { RequestRecord } from '../../src/plugins/plugin.js';
import { startGateway } from '../../src/start-gateway.js';
import { CACHE_ADMIN as ADMIN, cacheConfig } from '../helpers/cache-config.js';
import { buildConfig } from '../helpers/stack.js';

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream();
});
after(() => mock.close());

const embedCalls = () => mock.requests.filter((r) => r.path === '/v1/embeddings').length;

describe('semantic cache with governance', () => {
  const vk = 'sk-sy-test-cache-faq-bot-000001';
  interface Governed {
    url: string;
    client: OpenAI;
    /** The gateway's request records so far. */
    records: RequestRecord[];
  }
  /**
   * Runs `fn` against a gateway with governance: key `faq-bot` of team `support` with `keyExtra`,
   * the config with `extra`; the gateway is closed afterwards.
   */
  async function withGoverned(keyExtra: Record<string, unknown>, extra: Record<string, unknown>, fn: (g: Governed) => Promise<void>): Promise<void> {
    const records: RequestRecord[] = [];
    const g = await startGateway({
      config: buildConfig(
        cacheConfig(mock.url, {
          governance: { enabled: true, counters: { type: 'memory' } },
          teams: { support: {} },
          virtual_keys: { 'faq-bot': { key: vk, team: 'support', ...keyExtra } },
          ...extra,
        }),
      ),
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
      plugins: [{ name: 'recorder', onRequestEnd: (r) => void records.push(r) }],
    });
    try {
      await fn({ url: g.url, client: new OpenAI({ baseURL: `${g.url}/v1`, apiKey: vk, maxRetries: 0 }), records });
    } finally {
      await g.close();
    }
  }

  test('the embedding a lookup makes is attributed to the key and team that asked', () =>
    withGoverned({}, {}, async ({ client, records }) => {
      await client.chat.completions.create({ model: 'faq', messages: [{ role: 'user', content: 'Where is the support desk?' }] });
      const deadline = Date.now() + 5_000;
      while (!records.some((r) => r.purpose === 'semantic-cache')) {
        assert.ok(Date.now() < deadline, 'no record of the embedding');
        await new Promise((r) => setTimeout(r, 10));
      }
      const embed = records.find((r) => r.purpose === 'semantic-cache')!;
      assert.equal(embed.clientKeyId, 'faq-bot');
      assert.equal(embed.team, 'support');
    }));

  test("the embeddings count against the key's budget: a miss pays its call and its embedding, a semantic hit its embedding only", () =>
    withGoverned(
      { budgets: [{ max_usd: 100, period: 'total' }] },
      // $1,000 per million tokens for both models, so spend is tokens / 1,000.
      { pricing: { overrides: { 'openai/gpt-4o-mini': { input: 1000, output: 1000 }, 'openai/text-embedding-3-small': { input: 1000, output: 0 } } } },
      async ({ url, client, records }) => {
        const spent = async () => {
          const res = await fetch(`${url}/api/virtual-keys/faq-bot`, { headers: { authorization: `Bearer ${ADMIN}` } });
          return ((await res.json()) as { usage: { budgets: Array<{ spent_usd: number }> } }).usage.budgets[0]!.spent_usd;
        };
        const embedTokens = () => records.filter((r) => r.purpose === 'semantic-cache').map((r) => r.usage?.inputTokens ?? 0);
        const miss = await client.chat.completions.create({ model: 'faq', messages: [{ role: 'user', content: 'When does the support desk open?' }] }).withResponse();
        assert.equal(miss.response.headers.get('x-switchyard-cache'), 'miss');
        const [first] = embedTokens();
        assert.ok(first && first > 0, 'the lookup embedded the question');
        const afterMiss = await spent();
        assert.equal(Math.round(afterMiss * 1e9), Math.round(((miss.data.usage!.total_tokens + first) / 1000) * 1e9), 'the call and its embedding');

        const hit = await client.chat.completions.create({ model: 'faq', messages: [{ role: 'user', content: 'when does the support desk open' }] }).withResponse();
        assert.equal(hit.response.headers.get('x-switchyard-cache'), 'semantic-hit');
        const second = embedTokens()[1];
        assert.ok(second && second > 0);
        assert.equal(Math.round((await spent()) * 1e9), Math.round((afterMiss + second / 1000) * 1e9), 'the hit costs its embedding only');
      },
    ));

  test('a key whose budget cannot hold the embedding is answered upstream, without a semantic lookup', () =>
    withGoverned(
      { budgets: [{ max_usd: 1, period: 'total' }] },
      // The embedding model costs so much that its worst case exceeds the budget; the chat model is free.
      { pricing: { overrides: { 'openai/gpt-4o-mini': { input: 0, output: 0 }, 'openai/text-embedding-3-small': { input: 1e9, output: 0 } } } },
      async ({ client }) => {
        const before = embedCalls();
        const r = await client.chat.completions.create({ model: 'faq', messages: [{ role: 'user', content: 'Is the support desk open on Sundays?' }] }).withResponse();
        assert.equal(r.response.headers.get('x-switchyard-cache'), 'miss');
        assert.ok(r.data.choices[0]!.message.content);
        assert.equal(r.response.headers.get('x-should-retry'), null, 'the skipped lookup leaves no refusal header on the answer');
        assert.equal(embedCalls(), before, 'no embedding was made');
      },
    ));
});
