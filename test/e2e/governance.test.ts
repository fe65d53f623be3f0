/**
 * Governance through the real server and the official SDKs (memory counters, one replica): every
 * refusal raises the SDK's own typed error with the gateway's message; rate-limit headers in each
 * dialect's convention; the models list shows what a key may use; the request record carries the
 * key and its team; server.api_keys keep working as keys without limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { GatewayPlugin, RequestRecord } from '../../src/plugins/plugin.js';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

const KEYS = {
  bot: 'sk-sy-test-review-bot-0000000001',
  limited: 'sk-sy-test-limited-key-000000002',
  broke: 'sk-sy-test-broke-key-00000000003',
  expired: 'sk-sy-test-expired-key-00000004',
  disabled: 'sk-sy-test-disabled-key-0000005',
  server: 'sk-server-api-key-0000000000006',
};

const records: RequestRecord[] = [];
const recorder: GatewayPlugin = { name: 'recorder', onRequestEnd: (r) => void records.push(r) };
let stack: Stack;

before(async () => {
  stack = await startStack({
    start: { plugins: [recorder] },
    config: (url) => ({
      ...defaultConfig(url),
      server: { host: '127.0.0.1', port: 0, api_keys: [KEYS.server] },
      pricing: { overrides: { 'openai/gpt-4o-mini': { input: 1000, output: 1000 }, 'anthropic/claude-sonnet-4-6': { input: 1000, output: 1000 } } },
      governance: { enabled: true, counters: { type: 'memory' } },
      teams: { platform: { budgets: [{ max_usd: 1000, period: '1M' }], rate_limits: [{ requests: 1000, per: '1m' }] } },
      virtual_keys: {
        'review-bot': { team: 'platform', key: KEYS.bot, models: ['review-model', 'openai/*'], rate_limits: [{ requests: 100, per: '1m' }, { tokens: 1_000_000, per: '1h' }] },
        limited: { key: KEYS.limited, rate_limits: [{ requests: 2, per: '1h' }] },
        // $1000 per million tokens: 64 output tokens of worst case are $0.064, more than the budget.
        broke: { key: KEYS.broke, budgets: [{ max_usd: 0.05, period: '1d' }] },
        expired: { key: KEYS.expired, expires_at: '2020-01-01T00:00:00Z' },
        disabled: { key: KEYS.disabled, disabled: true },
      },
    }),
  });
});
after(async () => stack?.close());

const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
const anthropic = (key: string) => new Anthropic({ apiKey: key, baseURL: stack.url, maxRetries: 0 });
const chat = (key: string, model = 'review-model') => openai(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 64 });
const message = (key: string, model = 'review-model') => anthropic(key).messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] });

describe('governance through the OpenAI SDK', () => {
  it('answers a valid key, with x-ratelimit-* headers, and records key and team', async () => {
    const { data, response } = await chat(KEYS.bot).withResponse();
    assert.ok(data.choices[0]!.message.content);
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '100');
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '99');
    assert.match(response.headers.get('x-ratelimit-reset-requests')!, /^\d+(ms|s)$|^\d+m\d+s$/);
    assert.equal(response.headers.get('x-ratelimit-limit-tokens'), '1000000');
    const rec = records.find((r) => r.requestId === response.headers.get('x-request-id'));
    assert.equal(rec?.clientKeyId, 'review-bot');
    assert.equal(rec?.team, 'platform');
  });

  it('401 AuthenticationError for a missing or unknown key', async () => {
    await assert.rejects(chat('sk-sy-not-a-key-at-all-00000000'), (e: unknown) => e instanceof OpenAI.AuthenticationError && /invalid or missing API key/.test(e.message));
  });

  it('403 PermissionDeniedError: model not allowed, key expired, key disabled', async () => {
    await assert.rejects(chat(KEYS.bot, 'anthropic/claude-sonnet-4-6'), (e: unknown) => e instanceof OpenAI.PermissionDeniedError && /may not use the model 'anthropic\/claude-sonnet-4-6'/.test(e.message));
    await assert.rejects(chat(KEYS.expired), (e: unknown) => e instanceof OpenAI.PermissionDeniedError && /expired at 2020-01-01T00:00:00.000Z/.test(e.message));
    await assert.rejects(chat(KEYS.disabled), (e: unknown) => e instanceof OpenAI.PermissionDeniedError && /is disabled/.test(e.message));
  });

  it('429 RateLimitError with Retry-After and headers once the limit is used', async () => {
    const fresh = new OpenAI({ apiKey: KEYS.limited, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    await fresh.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'a' }], max_tokens: 8 });
    await fresh.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'b' }], max_tokens: 8 });
    const err = await fresh.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'c' }], max_tokens: 8 }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.match(err.message, /rate limited: virtual key limited allows 2 requests per 1h/);
    assert.equal(err.headers?.get('x-switchyard-error-code'), 'GW_ERR_RATE_LIMITED');
    assert.ok(Number(err.headers?.get('retry-after')) > 0);
    assert.equal(err.headers?.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(err.headers?.get('x-ratelimit-limit-requests'), '2');
  });

  it('429 budget exhausted, with the reset time and x-should-retry: false', async () => {
    const err = await chat(KEYS.broke, 'openai/gpt-4o-mini').catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.match(err.message, /budget exhausted: the 1d budget of virtual key broke \(\$0.05\).*resets at \d{4}-\d\d-\d\dT00:00:00.000Z/);
    assert.equal(err.headers?.get('x-switchyard-error-code'), 'GW_ERR_BUDGET_EXHAUSTED');
    assert.equal(err.headers?.get('x-should-retry'), 'false');
  });

  it('server.api_keys are keys without limits', async () => {
    const { response } = await chat(KEYS.server, 'openai/gpt-4o-mini').withResponse();
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), null);
    const rec = records.find((r) => r.requestId === response.headers.get('x-request-id'));
    assert.match(rec?.clientKeyId ?? '', /^server-key-[0-9a-f]{8}$/);
  });

  it('lists only the models a key may use', async () => {
    const ids = (await openai(KEYS.bot).models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['openai/gpt-4o-mini', 'review-model']);
    await assert.rejects(openai('sk-sy-nobody-00000000000000000').models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  });
});

describe('governance through the Anthropic SDK', () => {
  it('answers with anthropic-ratelimit-* headers', async () => {
    const { data, response } = await message(KEYS.bot).withResponse();
    assert.equal(data.type, 'message');
    assert.equal(response.headers.get('anthropic-ratelimit-requests-limit'), '100');
    assert.match(response.headers.get('anthropic-ratelimit-requests-reset')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), null);
  });

  it('raises AuthenticationError, PermissionDeniedError and RateLimitError', async () => {
    await assert.rejects(message('sk-sy-not-a-key-at-all-00000000'), (e: unknown) => e instanceof Anthropic.AuthenticationError && /invalid or missing API key/.test(e.message));
    await assert.rejects(message(KEYS.bot, 'anthropic/claude-sonnet-4-6'), (e: unknown) => e instanceof Anthropic.PermissionDeniedError && /may not use the model/.test(e.message));
    await assert.rejects(message(KEYS.disabled), (e: unknown) => e instanceof Anthropic.PermissionDeniedError && /is disabled/.test(e.message));
    await assert.rejects(message(KEYS.expired), (e: unknown) => e instanceof Anthropic.PermissionDeniedError && /expired/.test(e.message));
    await assert.rejects(message(KEYS.limited), (e: unknown) => e instanceof Anthropic.RateLimitError && /rate limited/.test(e.message) && e.headers?.get('anthropic-ratelimit-requests-remaining') === '0');
    await assert.rejects(message(KEYS.broke, 'openai/gpt-4o-mini'), (e: unknown) => e instanceof Anthropic.RateLimitError && /budget exhausted/.test(e.message));
  });

  it('settles a stream: the token counter holds real usage once the stream ended', async () => {
    const stream = anthropic(KEYS.bot).messages.stream({ model: 'review-model', max_tokens: 64, messages: [{ role: 'user', content: 'stream please' }] });
    const final = await stream.finalMessage();
    assert.ok(final.usage.output_tokens > 0);
    // The next answer's remaining tokens count settled usage, not the 64-token worst case of the stream.
    const { response } = await message(KEYS.bot).withResponse();
    const left = Number(response.headers.get('anthropic-ratelimit-tokens-remaining'));
    assert.ok(left < 1_000_000 && left > 1_000_000 - 2000, String(left));
  });
});
