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

/**
 * One further answer, when the client asked for several (OpenAI `n`) and the upstream gave them.
 * Choice 0 is the response itself (`content`, `finishReason`); these are choices 1 and up.
 */
export interface ResponseChoice {
  index: number;
  content: ResponsePart[];
  finishReason: FinishReason;
  rawFinishReason?: string;
}

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
  /** Choices 1 and up, when the client asked for `n` > 1 and the target carried it; in index order. */
  choices?: ResponseChoice[];
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}
