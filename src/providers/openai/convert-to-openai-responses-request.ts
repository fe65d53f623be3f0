/**
 * Canonical request → OpenAI Responses body (`POST /responses`), for an `openai` provider with
 * `api: responses`. A request that arrived in the Responses dialect is forwarded from `raw` (model
 * replaced), so unknown fields, hosted tools and item types pass untouched. Others are mapped:
 * system → instructions, messages → input items, tools, tool_choice, response format → text.format,
 * reasoning → reasoning.effort. The gateway keeps conversations itself, so `store` is false.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest, ImagePart, Message, TextPart } from '../../core/request.js';
import { effortForBudget } from './convert-to-openai-request.js';
import type { ConvertedRequest } from './convert-to-openai-request.js';

export function convertToOpenAIResponsesRequest(req: CoreRequest, model: string): ConvertedRequest {
  if (req.dialect === 'openai-responses') return { body: forwardedBody(req, model), unmapped: [] };
  const unmapped = new Set<string>(Object.keys(req.extras));
  const input: unknown[] = [];
  for (const m of req.messages) convertMessage(m, input, unmapped);
  const body: Record<string, unknown> = { model, input, store: false };
  const instructions = req.system.map((p) => p.text).join('\n\n');
  if (instructions) body.instructions = instructions;
  if (req.stream) body.stream = true;
  if (req.maxTokens !== undefined) body.max_output_tokens = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.user !== undefined) body.safety_identifier = req.user;
  if (req.metadata !== undefined) body.metadata = req.metadata;
  for (const [field, present] of [
    ['top_k', req.topK !== undefined],
    ['stop', Boolean(req.stop?.length)],
    ['seed', req.seed !== undefined],
    ['presence_penalty', req.presencePenalty !== undefined],
    ['frequency_penalty', req.frequencyPenalty !== undefined],
  ] as const) {
    if (present) unmapped.add(field);
  }
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters,
      strict: t.strict ?? false,
    }));
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.toolChoice) body.tool_choice = req.toolChoice.type === 'tool' ? { type: 'function', name: req.toolChoice.name } : req.toolChoice.type;
  if (req.responseFormat) {
    const rf = req.responseFormat;
    const format =
      rf.type === 'text'
        ? { type: 'text' }
        : rf.type === 'json'
          ? { type: 'json_object' }
          : {
              type: 'json_schema',
              name: rf.name ?? 'response',
              ...(rf.description !== undefined ? { description: rf.description } : {}),
              schema: rf.schema,
              ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
            };
    body.text = { format };
  }
  if (req.reasoning) {
    if (req.reasoning.disabled) body.reasoning = { effort: 'none' };
    else if (req.reasoning.effort) body.reasoning = { effort: req.reasoning.effort };
    else if (req.reasoning.budgetTokens !== undefined) body.reasoning = { effort: effortForBudget(req.reasoning.budgetTokens) };
  }
  return { body, unmapped: [...unmapped] };
}

/**
 * The client's Responses body for the upstream: model replaced, and reasoning items another
 * provider produced (the gateway's `sy1.` carriers) left out, since only their maker can read them.
 */
function forwardedBody(req: CoreRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req.raw, model };
  if (Array.isArray(body.input)) {
    const input = body.input.filter((item) => !(isRecord(item) && item.type === 'reasoning' && typeof item.encrypted_content === 'string' && item.encrypted_content.startsWith('sy1.')));
    if (input.length !== body.input.length) body.input = input;
  }
  return body;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function imagePart(part: ImagePart): Record<string, unknown> {
  const url = part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
  return { type: 'input_image', image_url: url, detail: part.detail ?? 'auto' };
}

function convertMessage(m: Message, out: unknown[], unmapped: Set<string>): void {
  if (m.role === 'tool') {
    for (const part of m.content) {
      if (part.type !== 'tool-result') continue;
      const output =
        typeof part.content === 'string'
          ? part.content
          : part.content.map((p) => (p.type === 'text' ? { type: 'input_text', text: p.text } : imagePart(p)));
      out.push({ type: 'function_call_output', call_id: part.toolCallId, output });
    }
    return;
  }
  if (m.role === 'user') {
    const content: unknown[] = [];
    for (const part of m.content) {
      if (part.type === 'text') content.push({ type: 'input_text', text: part.text });
      else if (part.type === 'image') content.push(imagePart(part));
      else if (part.type === 'tool-result') throw new GatewayError('GW_ERR_INVALID_REQUEST', 'a tool result must be in a tool message', { param: 'messages' });
      else unmapped.add(`content:${part.type}`);
    }
    out.push({ role: 'user', content });
    return;
  }
  // Assistant: text runs become assistant messages; calls and reasoning become their own items, in order.
  let text: TextPart[] = [];
  const flush = () => {
    if (text.length) out.push({ role: 'assistant', content: text.map((t) => t.text).join('') });
    text = [];
  };
  for (const part of m.content) {
    if (part.type === 'text') text.push(part);
    else if (part.type === 'tool-call') {
      flush();
      out.push({ type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments });
    } else if (part.type === 'reasoning') {
      const openai = part.providerMetadata?.openai as { id?: unknown; encrypted_content?: unknown } | undefined;
      if (openai && typeof openai.encrypted_content === 'string') {
        flush();
        out.push({
          type: 'reasoning',
          ...(typeof openai.id === 'string' ? { id: openai.id } : {}),
          summary: part.text ? [{ type: 'summary_text', text: part.text }] : [],
          encrypted_content: openai.encrypted_content,
        });
      } else unmapped.add('reasoning');
    } else unmapped.add(`content:${part.type}`);
  }
  flush();
}
