/**
 * The OpenAI-compatible family as data: one row per host, with its default base URL and the quirks
 * that make it differ from OpenAI. `openai-compatible-provider.ts` turns a row into configuration
 * of the OpenAI provider; nothing else looks at host names.
 */

export interface CompatiblePreset {
  /** Default base URL, including the version path (as OpenAI's SDK takes it). Absent: base_url is required. */
  baseUrl?: string;
  /** Field that carries the output limit: the other one is renamed to it. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Whether the host accepts `stream_options` (usage chunk); when not, it is removed. */
  streamOptions: boolean;
  /** Whether a key is needed (local servers run without). */
  keyRequired: boolean;
  /** Top-level request fields the host knows under another name. */
  renameFields?: Readonly<Record<string, string>>;
  /** The host's word for tool_choice "required". */
  toolChoiceRequired?: string;
  /** Message content may come back as an array of typed chunks (text / thinking) instead of a string. */
  contentParts?: boolean;
  /** Whether the host serves `/embeddings`. */
  embeddings: boolean;
  /** Whether its embeddings endpoint takes `encoding_format`. */
  embeddingsEncodingFormat?: boolean;
  /** Where reasoning text comes back (documentation; the OpenAI mapper reads reasoning_content and reasoning). */
  reasoningField?: 'reasoning_content' | 'reasoning' | 'content parts';
}

export const COMPATIBLE_PRESETS = {
  'openai-compatible': { maxTokensField: 'max_tokens', streamOptions: true, keyRequired: false, embeddings: true },
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1',
    maxTokensField: 'max_completion_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: false,
    reasoningField: 'reasoning',
  },
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1',
    maxTokensField: 'max_tokens',
    // Mistral rejects unknown fields (422) and sends usage in its last chunk anyway.
    streamOptions: false,
    keyRequired: true,
    renameFields: { seed: 'random_seed' },
    toolChoiceRequired: 'any',
    contentParts: true,
    embeddings: true,
    embeddingsEncodingFormat: false,
    reasoningField: 'content parts',
  },
  deepseek: {
    baseUrl: 'https://api.deepseek.com/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: false,
    reasoningField: 'reasoning_content',
  },
  xai: {
    baseUrl: 'https://api.x.ai/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: false,
    reasoningField: 'reasoning_content',
  },
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: false,
    reasoningField: 'reasoning',
  },
  together: {
    baseUrl: 'https://api.together.xyz/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: true,
    reasoningField: 'reasoning',
  },
  fireworks: {
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: true,
    reasoningField: 'reasoning_content',
  },
  cerebras: {
    baseUrl: 'https://api.cerebras.ai/v1',
    maxTokensField: 'max_completion_tokens',
    streamOptions: true,
    keyRequired: true,
    embeddings: false,
    reasoningField: 'reasoning',
  },
  ollama: {
    baseUrl: 'http://localhost:11434/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: false,
    embeddings: true,
    reasoningField: 'reasoning',
  },
  vllm: {
    baseUrl: 'http://localhost:8000/v1',
    maxTokensField: 'max_tokens',
    streamOptions: true,
    keyRequired: false,
    embeddings: true,
    reasoningField: 'reasoning_content',
  },
} as const satisfies Record<string, CompatiblePreset>;

export type CompatiblePresetName = keyof typeof COMPATIBLE_PRESETS;

export const COMPATIBLE_PRESET_NAMES = Object.keys(COMPATIBLE_PRESETS) as CompatiblePresetName[];

export function compatiblePreset(name: string): CompatiblePreset | undefined {
  return Object.hasOwn(COMPATIBLE_PRESETS, name) ? (COMPATIBLE_PRESETS as Record<string, CompatiblePreset>)[name] : undefined;
}
