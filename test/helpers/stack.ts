/**
 * Starts the real gateway in front of the project's mock upstream, for end-to-end tests.
 * Providers `openai` and `anthropic` both point at one mock; alias `review-model` chains them.
 */
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream, MockUpstreamOptions } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { KNOWN_PROVIDER_TYPES } from '../../src/providers/registry.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway, StartOptions } from '../../src/start-gateway.js';

export const OPENAI_UPSTREAM_KEY = 'sk-upstream-openai-secret';
export const ANTHROPIC_UPSTREAM_KEY = 'sk-ant-upstream-secret';

export interface Stack {
  mock: MockUpstream;
  gw: RunningGateway;
  /** Gateway base URL (no path). */
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  mock?: MockUpstreamOptions;
  /** Builds the config from the mock's URL; default: openai + anthropic + review-model. */
  config?: (mockUrl: string) => Record<string, unknown>;
  /** Extra start options (middleware, plugins). */
  start?: Pick<StartOptions, 'middleware' | 'plugins' | 'governanceClock'>;
}

export function defaultConfig(mockUrl: string): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0 },
    providers: {
      openai: { type: 'openai', base_url: `${mockUrl}/v1`, keys: [{ value: OPENAI_UPSTREAM_KEY }], models: ['gpt-4o-mini'] },
      anthropic: { type: 'anthropic', base_url: mockUrl, keys: [{ value: ANTHROPIC_UPSTREAM_KEY }], models: ['claude-sonnet-4-6'] },
    },
    models: { 'review-model': { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'] } },
    logging: { level: 'silent' },
  };
}

export const GEMINI_UPSTREAM_KEY = 'AIza-upstream-gemini-secret';
export const BEDROCK_ACCESS_KEY_ID = 'AKIDUPSTREAMBEDROCK';
export const BEDROCK_SECRET_ACCESS_KEY = 'bedrock-upstream-secret-access-key';
export const BEDROCK_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

/**
 * Every provider type the mock upstream speaks: the default config's openai + anthropic, plus
 * bedrock (SigV4 with static credentials), gemini, and `local` (the vllm preset of the
 * OpenAI-compatible family) — all
 * pointing at one mock. Aliases: `review-model` as in defaultConfig, `story-chain` (anthropic →
 * bedrock → openai), and embeddings aliases.
 */
export function allProvidersConfig(mockUrl: string): Record<string, unknown> {
  const base = defaultConfig(mockUrl) as { providers: Record<string, unknown>; models: Record<string, unknown> };
  return {
    ...base,
    providers: {
      ...base.providers,
      bedrock: {
        type: 'bedrock',
        region: 'us-east-1',
        base_url: mockUrl,
        credentials: { access_key_id: BEDROCK_ACCESS_KEY_ID, secret_access_key: BEDROCK_SECRET_ACCESS_KEY },
        models: [BEDROCK_MODEL, 'amazon.titan-embed-text-v2:0'],
      },
      gemini: { type: 'gemini', base_url: mockUrl, keys: [{ value: GEMINI_UPSTREAM_KEY }], models: ['gemini-2.5-flash', 'gemini-3-pro-preview'] },
      // vLLM started with --api-key (the mock, like OpenAI, wants a bearer key).
      local: { type: 'vllm', base_url: `${mockUrl}/v1`, keys: [{ value: 'local-vllm-key' }], models: ['qwen3'] },
    },
    models: {
      ...base.models,
      'story-chain': { targets: ['anthropic/claude-sonnet-4-6', `bedrock/${BEDROCK_MODEL}`, 'openai/gpt-4o-mini'] },
      'embed-chain': { targets: ['anthropic/claude-sonnet-4-6', 'openai/text-embedding-3-small'] },
    },
  };
}

/** Validates a test config; the request log stays in memory unless the test names a store. */
export function buildConfig(raw: Record<string, unknown>): Config {
  if (raw.storage === undefined) raw = { ...raw, storage: { sqlite_path: ':memory:' } };
  return parseConfig(JSON.stringify(raw), { format: 'json', knownProviderTypes: KNOWN_PROVIDER_TYPES, env: {} });
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const mock = await startMockUpstream(options.mock ?? {});
  const config = buildConfig((options.config ?? defaultConfig)(mock.url));
  const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), ...options.start });
  return {
    mock,
    gw,
    url: gw.url,
    async close() {
      await gw.close();
      await mock.close();
    },
  };
}
