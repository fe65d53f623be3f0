/**
 * Canonical request → OpenAI Chat Completions body. A request that arrived in the OpenAI dialect
 * is forwarded from `raw` (model replaced), so unknown fields and values pass untouched.
 */
import { GatewayError } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, TextPart } from '../../core/request.js';
import { forwardsRaw } from '../../core/request.js';

export interface OpenAIRequestOptions {
  /** Which field carries the output limit: OpenAI's reasoning models reject `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

export interface ConvertedRequest {
  body: Record<string, unknown>;
  unmapped: string[];
}

export function convertToOpenAIRequest(req: CoreRequest, model: string, options: OpenAIRequestOptions): ConvertedRequest {
  if (forwardsRaw(req, 'openai-chat')) {
    const body: Record<string, unknown> = { ...req.raw, model };
    if (req.stream) body.stream_options = { ...(req.raw.stream_options as object | undefined), include_usage: true };
    return { body, unmapped: [] };
  }
  const unmapped = new Set<string>(Object.keys(req.extras));
  const messages: unknown[] = [];
  const systemText = req.system.map((p) => p.text).join('\n\n');
  if (systemText) messages.push({ role: 'system', content: systemText });
  for (const m of req.messages) convertMessage(m, messages, unmapped);

  const body: Record<string, unknown> = { model, messages };
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (req.maxTokens !== undefined) body[options.maxTokensField] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) unmapped.add('top_k');
  if (req.stop?.length) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  if (req.user !== undefined) body.user = req.user;
  if (req.metadata !== undefined) unmapped.add('metadata');
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
  }
  if (req.toolChoice) {
    body.tool_choice = req.toolChoice.type === 'tool' ? { type: 'function', function: { name: req.toolChoice.name } } : req.toolChoice.type;
  }
  if (req.parallelToolCalls !== undefined && req.tools?.length) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat) {
    const rf = req.responseFormat;
    if (rf.type === 'text') body.response_format = { type: 'text' };
    else if (rf.type === 'json') body.response_format = { type: 'json_object' };
    else {
      body.response_format = {
        type: 'json_schema',
        json_schema: {
          name: rf.name ?? 'response',
          ...(rf.description !== undefined ? { description: rf.description } : {}),
          schema: rf.schema,
          ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
        },
      };
    }
  }
  if (req.reasoning && !req.reasoning.disabled) {
    if (req.reasoning.effort) body.reasoning_effort = req.reasoning.effort;
    else if (req.reasoning.budgetTokens !== undefined) body.reasoning_effort = effortForBudget(req.reasoning.budgetTokens);
  }
  return { body, unmapped: [...unmapped] };
}

/** Anthropic-style thinking budgets mapped onto OpenAI's effort levels. */
export function effortForBudget(budget: number): string {
  if (budget < 2048) return 'low';
  if (budget < 16384) return 'medium';
  return 'high';
}

function imageUrl(part: ImagePart): Record<string, unknown> {
  const url = part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
  return { type: 'image_url', image_url: part.detail ? { url, detail: part.detail } : { url } };
}

function convertMessage(m: Message, out: unknown[], unmapped: Set<string>): void {
  if (m.role === 'tool') {
    for (const part of m.content) {
      if (part.type !== 'tool-result') continue;
      let content: string;
      if (typeof part.content === 'string') content = part.content;
      else {
        content = part.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('');
        if (part.content.some((p) => p.type === 'image')) unmapped.add('tool_result.image');
      }
      out.push({ role: 'tool', tool_call_id: part.toolCallId, content });
    }
    return;
  }
  if (m.role === 'user') {
    const parts: unknown[] = [];
    let allText = true;
    for (const part of m.content) {
      if (part.type === 'text') parts.push({ type: 'text', text: part.text });
      else if (part.type === 'image') {
        allText = false;
        parts.push(imageUrl(part));
      } else unsupportedPart(part, unmapped);
    }
    const content = allText ? parts.map((p) => (p as { text: string }).text).join('') : parts;
    out.push(m.name ? { role: 'user', content, name: m.name } : { role: 'user', content });
    return;
  }
  let text = '';
  const toolCalls: unknown[] = [];
  for (const part of m.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call') toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    else if (part.type === 'reasoning') unmapped.add('reasoning');
    else unsupportedPart(part, unmapped);
  }
  const msg: Record<string, unknown> = { role: 'assistant', content: text.length > 0 || toolCalls.length === 0 ? text : null };
  if (toolCalls.length) msg.tool_calls = toolCalls;
  if (m.name) msg.name = m.name;
  out.push(msg);
}

function unsupportedPart(part: ContentPart, unmapped: Set<string>): void {
  if (part.type === 'tool-result') {
    throw new GatewayError('GW_ERR_INVALID_REQUEST', 'a tool result must be in a tool message', { param: 'messages' });
  }
  unmapped.add(`content:${part.type}`);
}
