/**
 * The OpenAI-compatible family: one base (the OpenAI provider) configured by a preset row —
 * default base URL, output-limit field, stream_options support, renamed fields, content-part
 * responses, embeddings — see presets.ts. `type: openai-compatible` takes any `base_url`
 * (optionally with `preset` for a known host's quirks); `type: groq` etc. are the presets directly.
 */
import { createOpenAIProvider } from '../openai/openai-provider.js';
import type { ProviderAdapter } from '../provider-adapter.js';
import { normalizeContentParts } from './normalize-content-parts.js';
import { bearerAuth, createOpenAIEmbeddings, withEmbeddings } from './openai-embeddings.js';
import { compatiblePreset, COMPATIBLE_PRESET_NAMES } from './presets.js';
import type { CompatiblePreset } from './presets.js';

export interface OpenAICompatibleProviderOptions {
  name: string;
  /** The provider type as configured (`openai-compatible`, `groq`, ...). */
  type: string;
  /** The quirks row: a preset name; default the type. */
  preset?: string;
  baseUrl?: string;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
  /** Number of configured keys, to check that a host that needs one has one. */
  keyCount: number;
}

/** Applies a preset's request quirks to an outgoing body (also to bodies forwarded from OpenAI clients). */
export function applyPresetToBody(preset: CompatiblePreset, body: Record<string, unknown>): void {
  const other = preset.maxTokensField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
  if (body[other] !== undefined) {
    if (body[preset.maxTokensField] === undefined) body[preset.maxTokensField] = body[other];
    delete body[other];
  }
  if (!preset.streamOptions) delete body.stream_options;
  for (const [from, to] of Object.entries(preset.renameFields ?? {})) {
    if (body[from] === undefined) continue;
    body[to] = body[from];
    delete body[from];
  }
  if (preset.toolChoiceRequired && body.tool_choice === 'required') body.tool_choice = preset.toolChoiceRequired;
}

export function createOpenAICompatibleProvider(options: OpenAICompatibleProviderOptions): ProviderAdapter {
  const { name, type } = options;
  const presetName = options.preset ?? type;
  const preset = compatiblePreset(presetName);
  if (!preset) {
    throw new Error(`providers.${name}.preset: unknown preset "${presetName}"; known: ${COMPATIBLE_PRESET_NAMES.join(', ')}`);
  }
  const baseUrl = options.baseUrl ?? preset.baseUrl;
  if (!baseUrl) throw new Error(`providers.${name}.base_url: required for type ${type} (the server's URL including /v1)`);
  if (preset.keyRequired && options.keyCount === 0) {
    throw new Error(`providers.${name}.keys: ${presetName} needs an API key; add one (value: env.NAME)`);
  }
  const common = {
    name,
    baseUrl,
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: options.maxConnections,
    ...(options.headers ? { headers: options.headers } : {}),
  };
  const chat = createOpenAIProvider({
    ...common,
    type,
    maxTokensField: preset.maxTokensField,
    authHeaders: bearerAuth,
    adjustBody: (body) => applyPresetToBody(preset, body),
    ...(preset.contentParts ? { normalizePayload: normalizeContentParts } : {}),
  });
  if (!preset.embeddings) return chat;
  return withEmbeddings(chat, createOpenAIEmbeddings({ ...common, encodingFormat: preset.embeddingsEncodingFormat !== false }));
}
