/**
 * Provider types → factories. The only place that knows every provider type; the rest of the
 * gateway sees ProviderAdapter.
 *
 * A type's code is loaded only when a config uses it. The OpenAI family (openai, azure, every
 * openai-compatible preset) and anthropic are always loaded: small modules on the HTTP/SSE client
 * every gateway loads anyway (loading them costs no measurable memory), which also lets
 * `compileRuntime` build runtimes for them synchronously. Bedrock and Gemini bring code of their
 * own (Bedrock: AWS SigV4, the event-stream codec, the credential chain; about 9 MB of RSS for a
 * gateway that never calls it) and are imported by `loadProviderTypes`, which `loadRuntime` runs at
 * startup: an import or configuration error still stops the start, and no request ever waits on an
 * import.
 */
import type { ProviderConfig } from '../config/schema.js';
import type { AnthropicProviderConfig } from './anthropic/anthropic-config-schema.js';
import type { AzureProviderConfig } from './azure/azure-config-schema.js';
import type { BedrockProviderConfig } from './bedrock/bedrock-config-schema.js';
import type { GeminiProviderConfig } from './gemini/gemini-config-schema.js';
import type { OpenAIProviderConfig } from './openai/openai-config-schema.js';
import type { OpenAICompatibleProviderConfig } from './openai-compatible/openai-compatible-config-schema.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { createAzureProvider } from './azure/azure-provider.js';
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

/** A factory for the given types, handed its own type's config (the schema's union narrowed by `type`). */
function factoryFor<C extends ProviderConfig>(types: readonly string[], build: (input: { name: string; config: C }) => ProviderAdapter): ProviderFactory {
  return ({ name, config }) => {
    if (!types.includes(config.type)) throw new Error(`providers.${name}.type: "${config.type}" reached the factory of ${types.join('/')}`);
    return build({ name, config: config as C });
  };
}

/** Always loaded. */
const BUILT_IN: Record<string, ProviderFactory> = {
  openai: factoryFor<OpenAIProviderConfig>(['openai'], ({ name, config }) =>
    withEmbeddings(
      createOpenAIProvider({
        name,
        ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
        connectTimeoutMs: config.timeouts.connect_ms,
        maxConnections: config.max_connections,
        headers: config.headers,
        api: config.api,
        ...(Object.keys(config.model_api).length ? { modelApi: config.model_api } : {}),
      }),
      createOpenAIEmbeddings({
        name,
        baseUrl: config.base_url ?? OPENAI_DEFAULT_BASE_URL,
        connectTimeoutMs: config.timeouts.connect_ms,
        maxConnections: config.max_connections,
        headers: config.headers,
      }),
    ),
  ),
  anthropic: factoryFor<AnthropicProviderConfig>(['anthropic'], ({ name, config }) =>
    createAnthropicProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      anthropicVersion: config.anthropic_version,
      headers: config.headers,
    }),
  ),
  azure: factoryFor<AzureProviderConfig>(['azure'], ({ name, config }) =>
    createAzureProvider({
      name,
      ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
      ...(config.api_version !== undefined ? { apiVersion: config.api_version } : {}),
      ...(config.deployments !== undefined ? { deployments: config.deployments } : {}),
      connectTimeoutMs: config.timeouts.connect_ms,
      maxConnections: config.max_connections,
      headers: config.headers,
    }),
  ),
  // openai-compatible and every preset (groq, mistral, ...) as a type of its own.
  ...Object.fromEntries(
    COMPATIBLE_PRESET_NAMES.map((preset): [string, ProviderFactory] => [
      preset,
      factoryFor<OpenAICompatibleProviderConfig>(COMPATIBLE_PRESET_NAMES, ({ name, config }) =>
        createOpenAICompatibleProvider({
          name,
          type: config.type,
          ...(config.preset !== undefined ? { preset: config.preset } : {}),
          ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
          connectTimeoutMs: config.timeouts.connect_ms,
          maxConnections: config.max_connections,
          headers: config.headers,
          keyCount: config.keys.length,
        }),
      ),
    ]),
  ),
};

/** Imported when a config uses them (see loadProviderTypes). */
const ON_DEMAND: Record<string, () => Promise<ProviderFactory>> = {
  bedrock: async () => {
    const { createBedrockProvider } = await import('./bedrock/bedrock-provider.js');
    return factoryFor<BedrockProviderConfig>(['bedrock'], ({ name, config }) =>
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
    );
  },
  gemini: async () => {
    const { createGeminiProvider } = await import('./gemini/gemini-provider.js');
    return factoryFor<GeminiProviderConfig>(['gemini'], ({ name, config }) =>
      createGeminiProvider({
        name,
        ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
        ...(config.api_version !== undefined ? { apiVersion: config.api_version } : {}),
        connectTimeoutMs: config.timeouts.connect_ms,
        maxConnections: config.max_connections,
        headers: config.headers,
      }),
    );
  },
};

/** Every type a config may name, in the order error messages list them. */
export const KNOWN_PROVIDER_TYPES: readonly string[] = ['openai', 'anthropic', 'bedrock', 'gemini', 'azure', ...COMPATIBLE_PRESET_NAMES];

const factories = new Map<string, ProviderFactory>(Object.entries(BUILT_IN));
const loaders = new Map<string, () => Promise<ProviderFactory>>(Object.entries(ON_DEMAND));

/**
 * Imports the code of the given provider types (the ones not always loaded), so createProvider
 * can build them. Unknown types are left to createProvider to report.
 */
export async function loadProviderTypes(types: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(types)].map(async (type) => {
      const load = loaders.get(type);
      if (load && !factories.has(type)) factories.set(type, await load());
    }),
  );
}

export function createProvider(input: ProviderFactoryInput): ProviderAdapter {
  const type = input.config.type;
  const factory = factories.get(type);
  if (factory) return factory(input);
  if (loaders.has(type)) {
    throw new Error(`providers.${input.name}.type: the code of provider type "${type}" is not loaded; build the runtime with loadRuntime(), which loads the types a config uses`);
  }
  throw new Error(`providers.${input.name}.type: unknown provider type "${type}"; known: ${KNOWN_PROVIDER_TYPES.join(', ')}`);
}
