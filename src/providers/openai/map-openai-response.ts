/** OpenAI chat.completion → canonical response (lenient: unknown fields kept as providerExtras). */
import { GatewayError } from '../../core/errors.js';
import type { CoreResponse, FinishReason, ResponsePart, Usage } from '../../core/response.js';

export function mapOpenAIFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

export function mapOpenAIUsage(u: unknown): Partial<Usage> {
  if (typeof u !== 'object' || u === null) return {};
  const usage = u as Record<string, any>;
  const out: Partial<Usage> = {};
  if (typeof usage.prompt_tokens === 'number') out.inputTokens = usage.prompt_tokens;
  if (typeof usage.completion_tokens === 'number') out.outputTokens = usage.completion_tokens;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number' && cached > 0) out.cachedInputTokens = cached;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) out.reasoningTokens = reasoning;
  return out;
}

const KNOWN = new Set(['id', 'object', 'created', 'model', 'choices', 'usage']);

export function mapOpenAIResponse(body: unknown, provider: string): CoreResponse {
  if (typeof body !== 'object' || body === null) {
    throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${provider}: response is not an object`, { provider });
  }
  const b = body as Record<string, any>;
  const list: any[] = Array.isArray(b.choices) ? b.choices : [];
  const first = list.find((c) => (c?.index ?? 0) === 0) ?? list[0];
  const main = mapChoice(first);
  const usage = mapOpenAIUsage(b.usage);
  const extras: Record<string, unknown> = {};
  for (const k in b) if (!KNOWN.has(k)) extras[k] = b[k];
  const res: CoreResponse = {
    id: String(b.id ?? ''),
    model: String(b.model ?? ''),
    content: main.content,
    finishReason: main.finishReason,
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, ...usage },
    providerExtras: extras,
  };
  if (main.rawFinishReason !== undefined) res.rawFinishReason = main.rawFinishReason;
  if (typeof b.created === 'number') res.created = b.created;
  // Choices 1 and up (the client asked for `n` > 1), kept apart in index order.
  const more = list.filter((c) => c !== first && typeof c?.index === 'number' && c.index > 0).sort((x, y) => x.index - y.index);
  if (more.length > 0) res.choices = more.map((c) => ({ index: c.index as number, ...mapChoice(c) }));
  return res;
}

function mapChoice(choice: any): { content: ResponsePart[]; finishReason: FinishReason; rawFinishReason?: string } {
  const message = choice?.message ?? {};
  const content: ResponsePart[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning) content.push({ type: 'reasoning', text: reasoning });
  if (typeof message.content === 'string' && message.content) content.push({ type: 'text', text: message.content });
  if (typeof message.refusal === 'string' && message.refusal) content.push({ type: 'text', text: message.refusal });
  if (Array.isArray(message.tool_calls)) {
    for (const tc of message.tool_calls) {
      content.push({ type: 'tool-call', id: String(tc.id ?? ''), name: String(tc.function?.name ?? ''), arguments: String(tc.function?.arguments ?? '') });
    }
  }
  const finishReason = typeof message.refusal === 'string' && message.refusal ? 'refusal' : mapOpenAIFinishReason(choice?.finish_reason);
  return choice?.finish_reason != null ? { content, finishReason, rawFinishReason: String(choice.finish_reason) } : { content, finishReason };
}
