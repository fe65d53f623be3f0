/**
 * Canonical request → Anthropic Messages body. A request that arrived in the Anthropic dialect is
 * forwarded from `raw` (model replaced), so unknown fields and values pass untouched; any other is
 * converted, and what Anthropic cannot carry is listed in `unmapped`.
 */
import { GatewayError } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, TextPart } from '../../core/request.js';
import { forwardsRaw } from '../../core/request.js';

export interface ConvertedAnthropicRequest {
  body: Record<string, unknown>;
  unmapped: string[];
}

/** max_tokens when the client gave none (the Anthropic API requires it). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/** OpenAI-style reasoning effort → Anthropic thinking budget (0: no thinking). */
const EFFORT_BUDGETS: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 0,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 32768,
  max: 32768,
};

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

export function convertToAnthropicRequest(req: CoreRequest, model: string): ConvertedAnthropicRequest {
  if (forwardsRaw(req, 'anthropic-messages')) return { body: { ...req.raw, model }, unmapped: [] };

  const unmapped = new Set<string>(Object.keys(req.extras));
  const body: Record<string, unknown> = { model };

  const system = req.system.filter((p) => p.text.length > 0).map(textBlock);
  if (system.length > 0) body.system = system;
  body.messages = convertMessages(req.messages, unmapped);

  let maxTokens = req.maxTokens;
  const budget = thinkingBudget(req, unmapped);
  if (budget === 'disabled') body.thinking = { type: 'disabled' };
  else if (budget !== undefined) {
    if (maxTokens === undefined) maxTokens = budget + DEFAULT_MAX_TOKENS;
    // Anthropic needs budget_tokens < max_tokens; max_tokens counts the thinking too (as OpenAI's
    // max_completion_tokens counts reasoning), so a tight limit shrinks the budget.
    const fitted = Math.min(budget, maxTokens - 1);
    if (fitted >= MIN_THINKING_BUDGET) body.thinking = { type: 'enabled', budget_tokens: fitted };
    else unmapped.add('reasoning');
  }
  body.max_tokens = maxTokens ?? DEFAULT_MAX_TOKENS;

  if (req.stream) body.stream = true;
  if (req.temperature !== undefined) {
    // OpenAI's range is 0..2, Anthropic's 0..1.
    if (req.temperature > 1) unmapped.add('temperature');
    body.temperature = Math.min(1, req.temperature);
  }
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) body.top_k = req.topK;
  if (req.stop?.length) body.stop_sequences = req.stop;
  if (req.seed !== undefined) unmapped.add('seed');
  if (req.presencePenalty !== undefined) unmapped.add('presence_penalty');
  if (req.frequencyPenalty !== undefined) unmapped.add('frequency_penalty');

  // Anthropic's metadata holds only user_id.
  const metaUser = typeof req.metadata?.user_id === 'string' ? req.metadata.user_id : undefined;
  const userId = req.user ?? metaUser;
  if (userId !== undefined) body.metadata = { user_id: userId };
  if (req.metadata && Object.keys(req.metadata).some((k) => k !== 'user_id')) unmapped.add('metadata');

  if (req.tools?.length) {
    body.tools = req.tools.map((t) => {
      const tool: Block = { name: t.name };
      if (t.description !== undefined) tool.description = t.description;
      tool.input_schema = 'type' in t.parameters ? t.parameters : { type: 'object', ...t.parameters };
      if (t.strict === true) tool.strict = true;
      return tool;
    });
    if (req.toolChoice || req.parallelToolCalls === false) {
      const choice = req.toolChoice ?? { type: 'auto' };
      const tc: Block =
        choice.type === 'required' ? { type: 'any' } : choice.type === 'tool' ? { type: 'tool', name: choice.name } : { type: choice.type };
      if (req.parallelToolCalls === false && choice.type !== 'none') tc.disable_parallel_tool_use = true;
      body.tool_choice = tc;
    }
  }

  if (req.responseFormat?.type === 'json-schema') {
    body.output_config = { format: { type: 'json_schema', schema: req.responseFormat.schema } };
  } else if (req.responseFormat?.type === 'json') {
    // No schema-less JSON mode at Anthropic.
    unmapped.add('response_format');
  }
  return { body, unmapped: [...unmapped] };
}

function thinkingBudget(req: CoreRequest, unmapped: Set<string>): number | 'disabled' | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.disabled) return 'disabled';
  if (r.budgetTokens !== undefined) return r.budgetTokens;
  if (r.effort !== undefined) {
    const budget = EFFORT_BUDGETS[r.effort];
    if (budget === undefined) {
      unmapped.add('reasoning_effort');
      return undefined;
    }
    return budget === 0 ? undefined : budget;
  }
  return undefined;
}

function textBlock(part: TextPart): Block {
  const block: Block = { type: 'text', text: part.text };
  if (part.cacheControl) block.cache_control = part.cacheControl;
  return block;
}

function imageBlock(part: ImagePart, unmapped: Set<string>): Block {
  if (part.detail !== undefined) unmapped.add('detail');
  const source =
    part.source.kind === 'url'
      ? { type: 'url', url: part.source.url }
      : { type: 'base64', media_type: part.source.mediaType, data: part.source.data };
  return { type: 'image', source };
}

/** A tool call's JSON arguments as Anthropic's `input` object; anything else is a client error. */
function toolInput(args: string, id: string, name: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('GW_ERR_INVALID_REQUEST', `messages: the arguments of tool call "${id}" (${name}) are not a JSON object; Anthropic needs one`, {
      param: 'messages',
    });
  }
  return value as Record<string, unknown>;
}

function convertPart(part: ContentPart, unmapped: Set<string>): Block | undefined {
  switch (part.type) {
    case 'text':
      return part.text.length > 0 ? textBlock(part) : undefined;
    case 'image':
      return imageBlock(part, unmapped);
    case 'tool-call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments, part.id, part.name) };
    case 'tool-result': {
      const block: Block = { type: 'tool_result', tool_use_id: part.toolCallId };
      if (typeof part.content === 'string') {
        if (part.content.length > 0) block.content = part.content;
      } else {
        const inner = part.content
          .map((p) => (p.type === 'text' ? (p.text.length > 0 ? textBlock(p) : undefined) : imageBlock(p, unmapped)))
          .filter((b): b is Block => b !== undefined);
        if (inner.length > 0) block.content = inner;
      }
      if (part.isError) block.is_error = true;
      return block;
    }
    case 'reasoning':
      if (part.redactedData !== undefined) return { type: 'redacted_thinking', data: part.redactedData };
      if (part.signature !== undefined && part.signature.length > 0) return { type: 'thinking', thinking: part.text, signature: part.signature };
      // Reasoning from another provider family: Anthropic only accepts its own, signed.
      unmapped.add('reasoning');
      return undefined;
  }
}

/**
 * Canonical messages → Anthropic turns: `tool` messages become user turns of tool_result blocks,
 * consecutive same-role turns are merged, and in a user turn the tool_result blocks come first
 * (Anthropic requires them before any other content).
 */
function convertMessages(messages: Message[], unmapped: Set<string>): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const m of messages) {
    if (m.name !== undefined) unmapped.add('name');
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks: Block[] = [];
    for (const part of m.content) {
      const block = convertPart(part, unmapped);
      if (block) blocks.push(block);
    }
    if (blocks.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const m of out) {
    if (m.role !== 'user') continue;
    const results = m.content.filter((b) => b.type === 'tool_result');
    if (results.length > 0 && results.length < m.content.length) {
      m.content = [...results, ...m.content.filter((b) => b.type !== 'tool_result')];
    }
  }
  return out;
}
