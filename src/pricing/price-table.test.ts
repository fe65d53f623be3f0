import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, modelCandidates, PriceTable, SHIPPED_PRICES } from './price-table.js';

describe('shipped price table', () => {
  it('gives every entry a positive price, an as_of date and a public https source', () => {
    assert.ok(SHIPPED_PRICES.length > 30);
    for (const e of SHIPPED_PRICES) {
      assert.match(e.as_of, /^\d{4}-\d{2}-\d{2}$/, `${e.model}: as_of`);
      assert.match(e.source, /^https:\/\//, `${e.model}: source`);
      assert.ok(e.input >= 0 && e.output > 0, `${e.model}: prices`);
      if (e.cached_input !== undefined) assert.ok(e.cached_input <= e.input, `${e.model}: cached input is not dearer than input`);
    }
  });

  it('covers the major providers', () => {
    const families = new Set(SHIPPED_PRICES.map((e) => e.family));
    for (const f of ['openai', 'anthropic', 'bedrock', 'gemini', 'mistral', 'groq', 'deepseek', 'xai']) assert.ok(families.has(f), f);
  });

  it('has no duplicate model within a family', () => {
    const seen = new Set<string>();
    for (const e of SHIPPED_PRICES) {
      const k = `${e.family}/${e.model}`;
      assert.ok(!seen.has(k), k);
      seen.add(k);
    }
  });
});

describe('PriceTable.lookup', () => {
  const table = new PriceTable();

  it('finds exact and dated model ids', () => {
    assert.equal(table.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o-mini' })?.input, 0.15);
    assert.equal(table.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o-mini-2024-07-18' })?.input, 0.15);
    assert.equal(table.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o-2024-08-06' })?.input, 2.5);
    assert.equal(table.lookup({ provider: 'anthropic', providerType: 'anthropic', model: 'claude-sonnet-4-5-20250929' })?.output, 15);
    assert.equal(table.lookup({ provider: 'anthropic', providerType: 'anthropic', model: 'claude-3-5-haiku-latest' })?.input, 0.8);
  });

  it('strips Bedrock region prefixes and version suffixes', () => {
    assert.deepEqual(modelCandidates('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), [
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-sonnet-4-5-20250929',
      'anthropic.claude-sonnet-4-5',
    ]);
    const p = table.lookup({ provider: 'aws', providerType: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' });
    assert.equal(p?.origin, 'bedrock');
    assert.equal(p?.input, 3);
  });

  it('does not price a different variant under its base model', () => {
    assert.equal(table.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o-audio-preview' }), undefined);
    assert.equal(table.lookup({ provider: 'openai', providerType: 'openai', model: 'no-such-model' }), undefined);
  });

  it('falls back to the provider name, then any family, for OpenAI-compatible providers', () => {
    assert.equal(table.lookup({ provider: 'groq', providerType: 'openai-compatible', model: 'llama-3.3-70b-versatile' })?.origin, 'groq');
    assert.equal(table.lookup({ provider: 'my-deepseek', providerType: 'openai-compatible', model: 'deepseek-chat' })?.origin, 'deepseek');
  });

  it('prefers config overrides: provider/model over model over the table', () => {
    const t = new PriceTable({
      overrides: {
        'openai/gpt-4o-mini': { input: 1, output: 2 },
        'gpt-4o-mini': { input: 9, output: 9 },
        'my-model': { input: 3, output: 4, cached_input: 0.5 },
      },
    });
    assert.equal(t.lookup({ provider: 'openai', providerType: 'openai', model: 'gpt-4o-mini' })?.input, 1);
    assert.equal(t.lookup({ provider: 'azure', providerType: 'azure', model: 'gpt-4o-mini' })?.input, 9);
    assert.equal(t.lookup({ provider: 'local', providerType: 'openai-compatible', model: 'my-model' })?.origin, 'config');
  });

  it('answers repeated and alternating lookups each with its own price', () => {
    const t = new PriceTable({ overrides: { 'openai/gpt-4o-mini': { input: 1, output: 2 }, 'gpt-4o-mini': { input: 9, output: 9 } } });
    const at = (provider: string, providerType = 'openai') => t.lookup({ provider, providerType, model: 'gpt-4o-mini' })?.input;
    assert.deepEqual([at('openai'), at('openai'), at('azure'), at('openai'), at('azure', 'azure'), at('openai', 'other')], [1, 1, 9, 1, 9, 1]);
    assert.equal(t.lookup({ provider: 'x', providerType: 'x', model: 'no-such-model' }), undefined);
    assert.equal(t.lookup({ provider: 'x', providerType: 'x', model: 'no-such-model' }), undefined);
  });
});

describe('costOf', () => {
  it('prices input, output, cache reads and cache writes per million tokens', () => {
    const price = { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, origin: 'test' };
    // 1000 input of which 200 cache reads and 100 cache writes; 500 output.
    const cost = costOf(price, { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, cacheWriteTokens: 100 });
    const expected = (700 * 3 + 200 * 0.3 + 100 * 3.75 + 500 * 15) / 1e6;
    assert.ok(Math.abs(cost - expected) < 1e-12, `${cost} vs ${expected}`);
  });

  it('prices cache reads at the input price when the model has no cached price', () => {
    const cost = costOf({ input: 2, output: 6, origin: 't' }, { inputTokens: 100, outputTokens: 0, cachedInputTokens: 50 });
    assert.equal(cost, (100 * 2) / 1e6);
  });
});
