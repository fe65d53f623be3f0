/**
 * Canonical response → Gemini `GenerateContentResponse`: one candidate whose `model` turn holds
 * text, thought and functionCall parts (thought signatures restored when the answer came from
 * Gemini), the finish reason, and `usageMetadata`.
 */
import type { CoreResponse, FinishReason, ResponsePart, Usage } from '../../core/response.js';

type Part = Record<string, unknown>;

export function geminiFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'tool-calls':
      return 'STOP';
    case 'length':
      return 'MAX_TOKENS';
    case 'content-filter':
    case 'refusal':
      return 'SAFETY';
    default:
      return 'OTHER';
  }
}

export function geminiUsage(u: Partial<Usage>): Record<string, number> {
  const input = u.inputTokens ?? 0;
  const output = u.outputTokens ?? 0;
  const thoughts = u.reasoningTokens ?? 0;
  const out: Record<string, number> = { promptTokenCount: input, candidatesTokenCount: output - thoughts, totalTokenCount: input + output };
  if (thoughts > 0) out.thoughtsTokenCount = thoughts;
  if (u.cachedInputTokens) out.cachedContentTokenCount = u.cachedInputTokens;
  return out;
}

function signature(meta: Record<string, unknown> | undefined): string | undefined {
  const g = meta?.gemini;
  const sig = typeof g === 'object' && g !== null ? (g as Record<string, unknown>).thoughtSignature : undefined;
  return typeof sig === 'string' ? sig : undefined;
}

/** One response part as a Gemini part (undefined for what Gemini cannot show, e.g. redacted thinking). */
export function geminiPart(p: ResponsePart): Part | undefined {
  let out: Part;
  if (p.type === 'text') out = { text: p.text };
  else if (p.type === 'reasoning') {
    if (p.text.length === 0) return undefined;
    out = { text: p.text, thought: true };
  } else {
    let args: unknown = {};
    try {
      args = p.arguments.trim() === '' ? {} : JSON.parse(p.arguments);
    } catch {
      args = { _raw: p.arguments };
    }
    out = { functionCall: { id: p.id, name: p.name, args } };
  }
  const sig = signature(p.providerMetadata);
  if (sig) out.thoughtSignature = sig;
  return out;
}

export function formatGeminiResponse(response: CoreResponse, requestModel: string): Record<string, unknown> {
  const parts = response.content.map(geminiPart).filter((p): p is Part => p !== undefined);
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: geminiFinishReason(response.finishReason), index: 0 }],
    usageMetadata: geminiUsage(response.usage),
    modelVersion: response.model || requestModel,
    responseId: response.id,
  };
}
