import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../test/helpers/stack.js';
import { compileRuntime, loadRuntime } from '../routing/runtime.js';
import type { OpenAIProviderConfig } from './openai/openai-config-schema.js';
import { createProvider, KNOWN_PROVIDER_TYPES, loadProviderTypes } from './registry.js';

const providerConfig = (over: Record<string, unknown>) => buildConfig({ providers: { p: over } }).providers.p!;

// The order matters: the first tests run before anything has loaded bedrock or gemini.
describe('provider registry', () => {
  it('knows every type, the ones loaded on demand included', () => {
    for (const t of ['openai', 'anthropic', 'bedrock', 'gemini', 'azure', 'openai-compatible', 'groq']) assert.ok(KNOWN_PROVIDER_TYPES.includes(t), t);
  });

  it('builds the always-loaded types synchronously', async () => {
    const runtime = compileRuntime(
      buildConfig({ providers: { openai: { base_url: 'http://127.0.0.1:9/v1' }, anthropic: { base_url: 'http://127.0.0.1:9' }, az: { type: 'azure', base_url: 'http://127.0.0.1:9' } } }),
    );
    assert.deepEqual([...runtime.providers.values()].map((p) => p.type), ['openai', 'anthropic', 'azure']);
    await runtime.close();
  });

  it('refuses an on-demand type whose code was not loaded, saying how to load it', () => {
    assert.throws(
      () => createProvider({ name: 'g', config: providerConfig({ type: 'gemini', base_url: 'http://127.0.0.1:9' }) }),
      /^Error: providers\.g\.type: the code of provider type "gemini" is not loaded; build the runtime with loadRuntime\(\)/,
    );
  });

  it('loadRuntime loads the types the config uses, then builds them', async () => {
    const runtime = await loadRuntime(
      buildConfig({
        providers: {
          g: { type: 'gemini', base_url: 'http://127.0.0.1:9' },
          aws: { type: 'bedrock', region: 'eu-west-1', credentials: { access_key_id: 'AKID', secret_access_key: 'secret' } },
        },
      }),
    );
    assert.deepEqual([...runtime.providers.values()].map((p) => [p.name, p.type]), [
      ['g', 'gemini'],
      ['aws', 'bedrock'],
    ]);
    await runtime.close();
  });

  it('a provider the config cannot build fails while the runtime is built, before any request', async () => {
    await assert.rejects(loadRuntime(buildConfig({ providers: { aws: { type: 'bedrock', region: 'eu west 1' } } })), /^Error: providers\.aws\.region: not an AWS region name/);
  });

  it('loading is idempotent and leaves unknown types to createProvider', async () => {
    await loadProviderTypes(['bedrock', 'bedrock', 'no-such-type']);
    assert.throws(
      () => createProvider({ name: 'x', config: { ...(providerConfig({ type: 'openai' }) as OpenAIProviderConfig), type: 'no-such-type' as 'openai' } }),
      /^Error: providers\.x\.type: unknown provider type "no-such-type"; known: openai, anthropic, bedrock, gemini, azure, /,
    );
  });
});
