/**
 * Provider types → factories. The only place that knows every provider type; the rest of the
 * gateway sees ProviderAdapter.
 */
import type { ProviderConfig } from '../config/schema.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { createOpenAIProvider } from './openai/openai-provider.js';
import type { ProviderAdapter } from './provider-adapter.js';

export interface ProviderFactoryInput {
  name: string;
  config: ProviderConfig;
}

export type ProviderFactory = (input: ProviderFactoryInput) => ProviderAdapter;

const FACTORIES: Record<string, ProviderFactory> = {
  openai: ({ name, config }) =>
    createOpenAIProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      headers: config.headers,
    }),
  anthropic: ({ name, config }) =>
    createAnthropicProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      anthropicVersion: config.anthropic_version,
      headers: config.headers,
    }),
};

export const KNOWN_PROVIDER_TYPES: readonly string[] = Object.keys(FACTORIES);

export function createProvider(input: ProviderFactoryInput): ProviderAdapter {
  const type = input.config.type ?? input.name;
  const factory = FACTORIES[type];
  if (!factory) throw new Error(`providers.${input.name}.type: unknown provider type "${type}"; known: ${KNOWN_PROVIDER_TYPES.join(', ')}`);
  return factory(input);
}
