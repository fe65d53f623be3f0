/**
 * Bedrock Converse `stopReason` and `usage` → canonical. Bedrock's inputTokens leaves out prompt
 * cache reads and writes (as Anthropic's does); the canonical inputTokens counts all input.
 */
import type { FinishReason, Usage } from '../../core/response.js';

export function mapBedrockFinishReason(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case 'end_turn':
      return 'stop';
    case 'stop_sequence':
      return 'stop-sequence';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content-filter';
    default:
      // malformed_model_output, malformed_tool_use and future values.
      return 'other';
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function mapBedrockUsage(u: unknown): Usage {
  const usage = (typeof u === 'object' && u !== null ? u : {}) as Record<string, unknown>;
  const input = num(usage.inputTokens) ?? 0;
  const cacheRead = num(usage.cacheReadInputTokens) ?? num(usage.cacheReadInputTokenCount);
  const cacheWrite = num(usage.cacheWriteInputTokens) ?? num(usage.cacheWriteInputTokenCount);
  const out: Usage = {
    inputTokens: input + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: num(usage.outputTokens) ?? 0,
  };
  if (cacheRead !== undefined && cacheRead > 0) out.cachedInputTokens = cacheRead;
  if (cacheWrite !== undefined && cacheWrite > 0) out.cacheWriteTokens = cacheWrite;
  return out;
}

/** The matched stop sequence, which Anthropic models on Bedrock report in additionalModelResponseFields. */
export function bedrockStopSequence(additional: unknown): string | undefined {
  if (typeof additional !== 'object' || additional === null) return undefined;
  const a = additional as Record<string, any>;
  const s = a.stop_sequence ?? a.delta?.stop_sequence;
  return typeof s === 'string' ? s : undefined;
}
