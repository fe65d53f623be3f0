/**
 * Canonical response → Bedrock `ConverseResponse`: the assistant message (text, toolUse,
 * reasoningContent blocks), `stopReason`, `usage` and `metrics`.
 */
import type { CoreResponse, FinishReason, ResponsePart, Usage } from '../../core/response.js';

export function converseStopReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'stop-sequence':
      return 'stop_sequence';
    case 'content-filter':
    case 'refusal':
      return 'content_filtered';
    default:
      return 'end_turn';
  }
}

export function converseUsage(u: Partial<Usage>): Record<string, number> {
  const input = u.inputTokens ?? 0;
  const output = u.outputTokens ?? 0;
  const out: Record<string, number> = { inputTokens: input, outputTokens: output, totalTokens: input + output };
  if (u.cachedInputTokens) out.cacheReadInputTokens = u.cachedInputTokens;
  if (u.cacheWriteTokens) out.cacheWriteInputTokens = u.cacheWriteTokens;
  return out;
}

export function parseToolInput(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    return { _raw: args };
  }
}

function block(p: ResponsePart): Record<string, unknown> | undefined {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'tool-call':
      return { toolUse: { toolUseId: p.id, name: p.name, input: parseToolInput(p.arguments) } };
    case 'reasoning':
      if (p.redactedData !== undefined) return { reasoningContent: { redactedContent: p.redactedData } };
      return { reasoningContent: { reasoningText: { text: p.text, ...(p.signature !== undefined ? { signature: p.signature } : {}) } } };
  }
}

export function formatConverseResponse(response: CoreResponse, latencyMs = 0): Record<string, unknown> {
  return {
    output: { message: { role: 'assistant', content: response.content.map(block).filter((b) => b !== undefined) } },
    stopReason: converseStopReason(response.finishReason),
    usage: converseUsage(response.usage),
    metrics: { latencyMs },
  };
}
