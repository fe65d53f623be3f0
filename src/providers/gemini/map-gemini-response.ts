/**
 * Gemini `GenerateContentResponse` → canonical response; finish reasons and usage. A STOP that
 * carries function calls is a tool-calls turn. Function calls get synthesized ids (Gemini has
 * none, unless it sends `id`), and their thought signatures ride in `providerMetadata.gemini`.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreResponse, FinishReason, ResponsePart, Usage } from '../../core/response.js';
import { geminiMetadata } from './thought-signatures.js';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function mapGeminiFinishReason(reason: unknown, hasToolCalls: boolean): FinishReason {
  if (hasToolCalls && (reason === 'STOP' || reason === undefined || reason === null)) return 'tool-calls';
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
      return 'content-filter';
    default:
      // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, LANGUAGE, OTHER, ...
      return 'other';
  }
}

/** usageMetadata → canonical: outputs count the thoughts, as OpenAI's completion tokens count reasoning. */
export function mapGeminiUsage(u: unknown): Usage {
  const m = isObj(u) ? u : {};
  const thoughts = num(m.thoughtsTokenCount);
  const cached = num(m.cachedContentTokenCount);
  const usage: Usage = {
    inputTokens: (num(m.promptTokenCount) ?? 0) + (num(m.toolUsePromptTokenCount) ?? 0),
    outputTokens: (num(m.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
  };
  if (thoughts !== undefined && thoughts > 0) usage.reasoningTokens = thoughts;
  if (cached !== undefined && cached > 0) usage.cachedInputTokens = cached;
  return usage;
}

/** A stable id for the n-th function call of a response (Gemini's own `id` when it sends one). */
export function geminiCallId(responseId: string, n: number, fc: Obj): string {
  if (typeof fc.id === 'string' && fc.id.length > 0) return fc.id;
  const base = responseId.replace(/[^A-Za-z0-9_-]/g, '') || Date.now().toString(36);
  return `call_${base}_${n}`;
}

export interface MapGeminiOptions {
  provider: string;
  /** The upstream model id, when the response does not name one. */
  model: string;
  /** Remembers a synthesized call id's thought signature. */
  rememberSignature?: (id: string, signature: string) => void;
}

const KNOWN = new Set(['candidates', 'usageMetadata', 'modelVersion', 'responseId', 'promptFeedback']);

export function mapGeminiResponse(body: unknown, options: MapGeminiOptions): CoreResponse {
  const { provider } = options;
  if (!isObj(body)) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response body is not a JSON object`, { provider });
  const responseId = typeof body.responseId === 'string' ? body.responseId : '';
  const candidate: Obj | undefined = Array.isArray(body.candidates) && isObj(body.candidates[0]) ? body.candidates[0] : undefined;
  const content: ResponsePart[] = [];
  const extras: Obj = {};
  let calls = 0;
  const parts: unknown[] = isObj(candidate?.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  for (const p of parts) {
    if (!isObj(p)) continue;
    const sig = typeof p.thoughtSignature === 'string' && p.thoughtSignature.length > 0 ? p.thoughtSignature : undefined;
    if (isObj(p.functionCall)) {
      const fc = p.functionCall;
      const id = geminiCallId(responseId, calls++, fc);
      const part: ResponsePart = { type: 'tool-call', id, name: String(fc.name ?? ''), arguments: JSON.stringify(isObj(fc.args) ? fc.args : {}) };
      if (sig) {
        part.providerMetadata = geminiMetadata(sig);
        options.rememberSignature?.(id, sig);
      }
      content.push(part);
    } else if (typeof p.text === 'string') {
      if (p.thought === true) {
        const part: ResponsePart = { type: 'reasoning', text: p.text };
        if (sig) part.providerMetadata = geminiMetadata(sig);
        content.push(part);
      } else if (p.text.length > 0 || sig) {
        const part: ResponsePart = { type: 'text', text: p.text };
        if (sig) part.providerMetadata = geminiMetadata(sig);
        content.push(part);
      }
    } else {
      // executableCode, codeExecutionResult, inlineData (generated images), ...
      extras[`content:${Object.keys(p).find((k) => k !== 'thoughtSignature') ?? 'unknown'}`] = true;
    }
  }
  const rawReason: string | undefined =
    typeof candidate?.finishReason === 'string'
      ? candidate.finishReason
      : isObj(body.promptFeedback) && typeof body.promptFeedback.blockReason === 'string'
        ? body.promptFeedback.blockReason
        : undefined;
  const blocked = candidate === undefined && isObj(body.promptFeedback) && body.promptFeedback.blockReason !== undefined;
  const response: CoreResponse = {
    id: responseId,
    model: typeof body.modelVersion === 'string' ? body.modelVersion : options.model,
    content,
    finishReason: blocked ? 'content-filter' : mapGeminiFinishReason(candidate?.finishReason, calls > 0),
    usage: mapGeminiUsage(body.usageMetadata),
  };
  if (rawReason !== undefined) response.rawFinishReason = rawReason;
  for (const key in body) if (!KNOWN.has(key)) extras[key] = body[key];
  if (isObj(candidate)) {
    for (const key of ['safetyRatings', 'citationMetadata', 'groundingMetadata', 'finishMessage']) if (candidate[key] !== undefined) extras[key] = candidate[key];
  }
  if (Object.keys(extras).length > 0) response.providerExtras = extras;
  return response;
}
