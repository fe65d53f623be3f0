/** OpenAI Responses `response` object → canonical response (lenient: unknown items are skipped, unknown fields kept as providerExtras). */
import { GatewayError } from '../../core/errors.js';
import type { CoreResponse, FinishReason, ResponsePart, Usage } from '../../core/response.js';

export function mapOpenAIResponsesUsage(u: unknown): Partial<Usage> {
  if (typeof u !== 'object' || u === null) return {};
  const usage = u as Record<string, any>;
  const out: Partial<Usage> = {};
  if (typeof usage.input_tokens === 'number') out.inputTokens = usage.input_tokens;
  if (typeof usage.output_tokens === 'number') out.outputTokens = usage.output_tokens;
  const cached = usage.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number' && cached > 0) out.cachedInputTokens = cached;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) out.reasoningTokens = reasoning;
  return out;
}

/** Status (and why incomplete) → canonical finish reason; tool calls in the output win over "completed". */
export function mapOpenAIResponsesFinish(status: unknown, incompleteReason: unknown, hasToolCalls: boolean, hasRefusal: boolean): FinishReason {
  if (status === 'incomplete') return incompleteReason === 'content_filter' ? 'content-filter' : 'length';
  if (status === 'failed' || status === 'cancelled') return 'error';
  if (hasToolCalls) return 'tool-calls';
  if (hasRefusal) return 'refusal';
  return 'stop';
}

/** One reasoning output item as a canonical part: summary text, OpenAI's id and encrypted content kept to send back. */
export function reasoningFromItem(item: Record<string, any>): ResponsePart {
  const text = Array.isArray(item.summary) ? item.summary.map((s: any) => (typeof s?.text === 'string' ? s.text : '')).filter(Boolean).join('\n\n') : '';
  const meta: Record<string, unknown> = {};
  if (typeof item.id === 'string') meta.id = item.id;
  if (typeof item.encrypted_content === 'string') meta.encrypted_content = item.encrypted_content;
  return { type: 'reasoning', text, providerMetadata: { openai: meta } };
}

const KNOWN = new Set(['id', 'object', 'created_at', 'model', 'output', 'usage', 'status', 'incomplete_details']);

export function mapOpenAIResponsesResponse(body: unknown, provider: string): CoreResponse {
  if (typeof body !== 'object' || body === null) throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response is not an object`, { provider });
  const b = body as Record<string, any>;
  if (b.status === 'failed') {
    const msg = typeof b.error?.message === 'string' ? b.error.message : 'the response failed';
    throw new GatewayError('GW_ERR_UPSTREAM_ERROR', `${provider}: ${msg}`, { provider });
  }
  const content: ResponsePart[] = [];
  let hasToolCalls = false;
  let hasRefusal = false;
  for (const item of Array.isArray(b.output) ? b.output : []) {
    if (item?.type === 'message') {
      for (const part of Array.isArray(item.content) ? item.content : []) {
        if (part?.type === 'output_text' && typeof part.text === 'string') content.push({ type: 'text', text: part.text });
        else if (part?.type === 'refusal' && typeof part.refusal === 'string') {
          hasRefusal = true;
          content.push({ type: 'text', text: part.refusal });
        }
      }
    } else if (item?.type === 'function_call') {
      hasToolCalls = true;
      content.push({ type: 'tool-call', id: String(item.call_id ?? item.id ?? ''), name: String(item.name ?? ''), arguments: String(item.arguments ?? '') });
    } else if (item?.type === 'reasoning') content.push(reasoningFromItem(item));
  }
  const usage = mapOpenAIResponsesUsage(b.usage);
  const extras: Record<string, unknown> = {};
  for (const k in b) if (!KNOWN.has(k)) extras[k] = b[k];
  const res: CoreResponse = {
    id: String(b.id ?? ''),
    model: String(b.model ?? ''),
    content,
    finishReason: mapOpenAIResponsesFinish(b.status, b.incomplete_details?.reason, hasToolCalls, hasRefusal),
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, ...usage },
    providerExtras: extras,
  };
  if (typeof b.status === 'string') res.rawFinishReason = b.incomplete_details?.reason ? `${b.status}:${b.incomplete_details.reason}` : b.status;
  if (typeof b.created_at === 'number') res.created = b.created_at;
  return res;
}
