/**
 * Provider types → factories. The only place that knows every provider type; the rest of the
 * gateway sees ProviderAdapter.
 */
import type { ProviderConfig } from '../config/schema.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { createAzureProvider } from './azure/azure-provider.js';
import { createBedrockProvider } from './bedrock/bedrock-provider.js';
import { createGeminiProvider } from './gemini/gemini-provider.js';
import { createOpenAIProvider, OPENAI_DEFAULT_BASE_URL } from './openai/openai-provider.js';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider.js';
import { createOpenAIEmbeddings, withEmbeddings } from './openai-compatible/openai-embeddings.js';
import { COMPATIBLE_PRESET_NAMES } from './openai-compatible/presets.js';
import type { ProviderAdapter } from './provider-adapter.js';

export interface ProviderFactoryInput {
  name: string;
  config: ProviderConfig;
}

export type ProviderFactory = (input: ProviderFactoryInput) => ProviderAdapter;

const FACTORIES: Record<string, ProviderFactory> = {
  openai: ({ name, config }) =>
    withEmbeddings(
      createOpenAIProvider({
        name,
        ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
        connectTimeoutMs: config.timeouts.connect_ms,
        maxConnections: config.max_connections,
        headers: config.headers,
      }),
      createOpenAIEmbeddings({
        name,
        baseUrl: config.base_url ?? OPENAI_DEFAULT_BASE_URL,
        connectTimeoutMs: config.timeouts.connect_ms,
        maxConnections: config.max_connections,
        headers: config.headers,
      }),
    ),
  anthropic: ({ name, config }) =>
    createAnthropicProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      anthropicVersion: config.anthropic_version,
      headers: config.headers,
    }),
  bedrock: ({ name, config }) =>
    createBedrockProvider({
      name,
      ...(config.region !== undefined ? { region: config.region } : {}),
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      ...(config.credentials !== undefined
        ? {
            credentials: {
              accessKeyId: config.credentials.access_key_id,
              secretAccessKey: config.credentials.secret_access_key,
              ...(config.credentials.session_token !== undefined ? { sessionToken: config.credentials.session_token } : {}),
            },
          }
        : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      headers: config.headers,
    }),
  gemini: ({ name, config }) =>
    createGeminiProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      ...(config.api_version !== undefined ? { apiVersion: config.api_version } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      headers: config.headers,
    }),
  azure: ({ name, config }) =>
    createAzureProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      ...(config.api_version !== undefined ? { apiVersion: config.api_version } : {}),
      ...(config.deployments !== undefined ? { deployments: config.deployments } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      headers: config.headers,
    }),
  // openai-compatible and every preset (groq, mistral, ...) as a type of its own.
  ...Object.fromEntries(
    COMPATIBLE_PRESET_NAMES.map((preset): [string, ProviderFactory] => [
      preset,
      ({ name, config }) =>
        createOpenAICompatibleProvider({
          name,
          type: config.type ?? preset,
          ...(config.preset !== undefined ? { preset: config.preset } : {}),
          ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
          connectTimeoutMs: config.timeouts.connect_ms,
          maxConnections: config.max_connections,
          headers: config.headers,
          keyCount: config.keys.length,
        }),
    ]),
  ),
};

export const KNOWN_PROVIDER_TYPES: readonly string[] = Object.keys(FACTORIES);

export function createProvider(input: ProviderFactoryInput): ProviderAdapter {
  const type = input.config.type ?? input.name;
  const factory = FACTORIES[type];
  if (!factory) throw new Error(`providers.${input.name}.type: unknown provider type "${type}"; known: ${KNOWN_PROVIDER_TYPES.join(', ')}`);
  return factory(input);
}
