import type { ReasoningPart, TextPart, ToolCallPart } from './request.js';

/**
 * Why generation stopped, in neutral terms.
 * `stop-sequence` is kept apart from `stop` so a dialect that can say which sequence matched can.
 */
export type FinishReason =
  | 'stop'
  | 'stop-sequence'
  | 'length'
  | 'tool-calls'
  | 'content-filter'
  | 'refusal'
  | 'pause'
  | 'error'
  | 'other';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (part of inputTokens when the provider counts them so). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteTokens?: number;
  /** Output tokens spent on reasoning (part of outputTokens). */
  reasoningTokens?: number;
}

export type ResponsePart = TextPart | ToolCallPart | ReasoningPart;

export interface CoreResponse {
  id: string;
  /** The model that answered, as the upstream named it. */
  model: string;
  content: ResponsePart[];
  finishReason: FinishReason;
  /** The raw stop reason string from upstream, for logs and same-family round trips. */
  rawFinishReason?: string;
  stopSequence?: string;
  usage: Usage;
  created?: number;
  /** Upstream fields with no canonical counterpart (e.g. system_fingerprint, service_tier). */
  providerExtras?: Record<string, unknown>;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}
