/**
 * Anthropic Messages request → canonical request. Strict on what it reads (a 400 naming the field);
 * what has no canonical counterpart (server tools, document/search_result/... blocks, unknown
 * top-level fields) stays out of the canonical parts and is named in `extras`, while `raw` keeps the
 * body as sent, so an Anthropic upstream receives it untouched and any other reports it unmapped.
 */
import { invalidRequest } from '../../core/errors.js';
import type {
  ContentPart,
  CoreRequest,
  ImagePart,
  ImageSource,
  Message,
  ReasoningConfig,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
} from '../../core/request.js';
import {
  describe,
  expectArray,
  expectNonEmptyString,
  expectObject,
  expectString,
  optBoolean,
  optNumber,
  optString,
} from '../shared/validate.js';
import type { Obj } from '../shared/validate.js';

/** Top-level fields the parser maps; everything else is an extra (forwarded to Anthropic through `raw`). */
const KNOWN = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'metadata',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'output_format',
  'fallbacks',
]);

type Extras = Record<string, unknown>;

export function parseAnthropicRequest(body: unknown): CoreRequest {
  const b = expectObject(body, 'body');
  const model = expectNonEmptyString(b.model, 'model');
  if (b.max_tokens === undefined || b.max_tokens === null) throw invalidRequest('max_tokens', 'max_tokens: required');
  const maxTokens = optNumber(b, 'max_tokens', '', { min: 1, integer: true }) as number;
  if (b.messages === undefined || b.messages === null) throw invalidRequest('messages', 'messages: required');
  const rawMessages = expectArray(b.messages, 'messages');
  if (rawMessages.length === 0) throw invalidRequest('messages', 'messages: must contain at least one message');

  const extras: Extras = {};
  const messages: Message[] = [];
  for (let i = 0; i < rawMessages.length; i++) parseMessage(rawMessages[i], `messages[${i}]`, messages, extras);

  const req: CoreRequest = {
    model,
    system: b.system === undefined || b.system === null ? [] : parseSystem(b.system),
    messages,
    maxTokens,
    stream: optBoolean(b, 'stream', '') ?? false,
    raw: b,
    dialect: 'anthropic-messages',
    extras,
  };

  const temperature = optNumber(b, 'temperature', '', { min: 0, max: 1 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(b, 'top_p', '', { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const topK = optNumber(b, 'top_k', '', { min: 0, integer: true });
  if (topK !== undefined) req.topK = topK;
  if (b.stop_sequences !== undefined && b.stop_sequences !== null) {
    req.stop = expectArray(b.stop_sequences, 'stop_sequences').map((s, i) => expectString(s, `stop_sequences[${i}]`));
  }
  if (b.metadata !== undefined && b.metadata !== null) {
    const metadata = expectObject(b.metadata, 'metadata');
    req.metadata = metadata;
    const user = optString(metadata, 'user_id', 'metadata.');
    if (user !== undefined) req.user = user;
  }
  if (b.tools !== undefined && b.tools !== null) {
    const tools = parseTools(b.tools, extras);
    if (tools.length > 0) req.tools = tools;
  }
  if (b.tool_choice !== undefined && b.tool_choice !== null) {
    const { choice, parallel } = parseToolChoice(b.tool_choice);
    req.toolChoice = choice;
    if (parallel !== undefined) req.parallelToolCalls = parallel;
  }

  let reasoning: ReasoningConfig | undefined;
  if (b.thinking !== undefined && b.thinking !== null) {
    const thinking = expectObject(b.thinking, 'thinking');
    const type = expectString(thinking.type, 'thinking.type');
    if (type === 'enabled') {
      if (thinking.budget_tokens === undefined || thinking.budget_tokens === null) {
        throw invalidRequest('thinking.budget_tokens', 'thinking.budget_tokens: required when thinking.type is "enabled"');
      }
      reasoning = { budgetTokens: optNumber(thinking, 'budget_tokens', 'thinking.', { min: 1, integer: true }) as number };
    } else if (type === 'disabled') {
      reasoning = { disabled: true };
    } else {
      // adaptive, between_tools and future modes: no canonical counterpart.
      extras.thinking = thinking;
    }
  }

  if (b.output_config !== undefined && b.output_config !== null) {
    const oc = expectObject(b.output_config, 'output_config');
    if (oc.format !== undefined && oc.format !== null) req.responseFormat = parseOutputFormat(oc.format, 'output_config.format');
    const effort = optString(oc, 'effort', 'output_config.');
    if (effort !== undefined) reasoning = { ...reasoning, effort };
    if (Object.keys(oc).some((k) => k !== 'format' && k !== 'effort')) extras.output_config = oc;
  }
  if (b.output_format !== undefined && b.output_format !== null) {
    // The structured-outputs beta's spelling (output_config.format is the GA one).
    req.responseFormat = parseOutputFormat(b.output_format, 'output_format');
  }
  if (reasoning !== undefined) req.reasoning = reasoning;

  if (b.fallbacks !== undefined) {
    if (Array.isArray(b.fallbacks)) {
      // The gateway's own field: a list of targets to fall back to. Never sent upstream.
      req.fallbacks = b.fallbacks.map((f, i) => expectNonEmptyString(f, `fallbacks[${i}]`));
      const { fallbacks: _drop, ...rest } = b;
      req.raw = rest;
    } else {
      // Anthropic's own `fallbacks` (server-side fallback, e.g. "default"): forwarded untouched.
      extras.fallbacks = b.fallbacks;
    }
  }

  for (const key in b) {
    if (!KNOWN.has(key)) extras[key] = b[key];
  }
  return req;
}

function parseSystem(value: unknown): TextPart[] {
  if (typeof value === 'string') return value.length > 0 ? [{ type: 'text', text: value }] : [];
  const blocks = expectArray(value, 'system');
  return blocks.map((v, i) => {
    const path = `system[${i}]`;
    const block = expectObject(v, path);
    const type = expectString(block.type, `${path}.type`);
    if (type !== 'text') throw invalidRequest(`${path}.type`, `${path}.type: system blocks must be "text", got "${type}"`);
    return parseTextBlock(block, path);
  });
}

function parseTextBlock(block: Obj, path: string): TextPart {
  const part: TextPart = { type: 'text', text: expectString(block.text, `${path}.text`) };
  if (block.cache_control !== undefined && block.cache_control !== null) {
    part.cacheControl = expectObject(block.cache_control, `${path}.cache_control`);
  }
  return part;
}

/** Returns the image part, or undefined for sources with no canonical counterpart (file ids). */
function parseImageBlock(block: Obj, path: string, extras: Extras): ImagePart | undefined {
  const source = expectObject(block.source, `${path}.source`);
  const kind = expectString(source.type, `${path}.source.type`);
  let src: ImageSource;
  if (kind === 'base64') {
    src = {
      kind: 'base64',
      mediaType: expectNonEmptyString(source.media_type, `${path}.source.media_type`),
      data: expectNonEmptyString(source.data, `${path}.source.data`),
    };
  } else if (kind === 'url') {
    src = { kind: 'url', url: expectNonEmptyString(source.url, `${path}.source.url`) };
  } else if (kind === 'file') {
    expectNonEmptyString(source.file_id, `${path}.source.file_id`);
    extras['content:image'] = true;
    return undefined;
  } else {
    throw invalidRequest(`${path}.source.type`, `${path}.source.type: expected "base64", "url" or "file", got "${kind}"`);
  }
  return { type: 'image', source: src };
}

/** One block of a message's content → canonical part, or undefined when it goes to `extras`. */
function parseBlock(value: unknown, path: string, role: 'user' | 'assistant', extras: Extras): ContentPart | undefined {
  const block = expectObject(value, path);
  const type = expectString(block.type, `${path}.type`);
  switch (type) {
    case 'text':
      return parseTextBlock(block, path);
    case 'image':
      return parseImageBlock(block, path, extras);
    case 'tool_use': {
      const input = expectObject(block.input, `${path}.input`);
      return {
        type: 'tool-call',
        id: expectNonEmptyString(block.id, `${path}.id`),
        name: expectNonEmptyString(block.name, `${path}.name`),
        arguments: JSON.stringify(input),
      };
    }
    case 'tool_result': {
      if (role !== 'user') throw invalidRequest(`${path}.type`, `${path}.type: tool_result blocks belong in user messages`);
      return parseToolResult(block, path, extras);
    }
    case 'thinking':
      return {
        type: 'reasoning',
        text: expectString(block.thinking, `${path}.thinking`),
        signature: expectString(block.signature, `${path}.signature`),
      };
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redactedData: expectString(block.data, `${path}.data`) };
    default:
      // document, search_result, server_tool_use, web_search_tool_result, container_upload, ...
      extras[`content:${type}`] = true;
      return undefined;
  }
}

function parseToolResult(block: Obj, path: string, extras: Extras): ToolResultPart {
  const part: ToolResultPart = {
    type: 'tool-result',
    toolCallId: expectNonEmptyString(block.tool_use_id, `${path}.tool_use_id`),
    content: '',
  };
  const content = block.content;
  if (typeof content === 'string') part.content = content;
  else if (content !== undefined && content !== null) {
    const items = expectArray(content, `${path}.content`);
    const parts: Array<TextPart | ImagePart> = [];
    items.forEach((item, k) => {
      const ip = `${path}.content[${k}]`;
      const inner = expectObject(item, ip);
      const type = expectString(inner.type, `${ip}.type`);
      if (type === 'text') parts.push(parseTextBlock(inner, ip));
      else if (type === 'image') {
        const image = parseImageBlock(inner, ip, extras);
        if (image) parts.push(image);
      } else extras[`content:${type}`] = true;
    });
    part.content = parts;
  }
  const isError = optBoolean(block, 'is_error', `${path}.`);
  if (isError !== undefined) part.isError = isError;
  return part;
}

/**
 * One Anthropic message → canonical messages. A user message's tool_result blocks become `tool`
 * messages (consecutive ones grouped), its other blocks user messages, in the order given.
 */
function parseMessage(value: unknown, path: string, out: Message[], extras: Extras): void {
  const m = expectObject(value, path);
  const role = expectString(m.role, `${path}.role`);
  if (role !== 'user' && role !== 'assistant') {
    throw invalidRequest(`${path}.role`, `${path}.role: expected "user" or "assistant", got "${role}"`);
  }
  const content = m.content;
  if (typeof content === 'string') {
    out.push({ role, content: [{ type: 'text', text: content }] });
    return;
  }
  if (content === undefined || content === null) throw invalidRequest(`${path}.content`, `${path}.content: required`);
  if (!Array.isArray(content)) {
    throw invalidRequest(`${path}.content`, `${path}.content: expected a string or an array of content blocks, got ${describe(content)}`);
  }
  let current: Message | undefined;
  content.forEach((item, j) => {
    const part = parseBlock(item, `${path}.content[${j}]`, role, extras);
    if (!part) return;
    const target: Message['role'] = part.type === 'tool-result' ? 'tool' : role;
    if (!current || current.role !== target) {
      current = { role: target, content: [] };
      out.push(current);
    }
    current.content.push(part);
  });
}

function parseTools(value: unknown, extras: Extras): ToolDefinition[] {
  const tools = expectArray(value, 'tools');
  const out: ToolDefinition[] = [];
  tools.forEach((t, i) => {
    const p = `tools[${i}]`;
    const tool = expectObject(t, p);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      // Server / built-in tools (web_search_20250305, bash_20250124, ...): Anthropic-only.
      extras[`tools:${expectString(tool.type, `${p}.type`)}`] = true;
      return;
    }
    const def: ToolDefinition = {
      name: expectNonEmptyString(tool.name, `${p}.name`),
      parameters: expectObject(tool.input_schema, `${p}.input_schema`),
    };
    const description = optString(tool, 'description', `${p}.`);
    if (description !== undefined) def.description = description;
    const strict = optBoolean(tool, 'strict', `${p}.`);
    if (strict !== undefined) def.strict = strict;
    out.push(def);
  });
  return out;
}

function parseToolChoice(value: unknown): { choice: ToolChoice; parallel?: boolean } {
  const tc = expectObject(value, 'tool_choice');
  const type = expectString(tc.type, 'tool_choice.type');
  let choice: ToolChoice;
  switch (type) {
    case 'auto':
      choice = { type: 'auto' };
      break;
    case 'any':
      choice = { type: 'required' };
      break;
    case 'none':
      choice = { type: 'none' };
      break;
    case 'tool':
      choice = { type: 'tool', name: expectNonEmptyString(tc.name, 'tool_choice.name') };
      break;
    default:
      throw invalidRequest('tool_choice.type', `tool_choice.type: expected "auto", "any", "tool" or "none", got "${type}"`);
  }
  const disable = optBoolean(tc, 'disable_parallel_tool_use', 'tool_choice.');
  return disable === undefined ? { choice } : { choice, parallel: !disable };
}

function parseOutputFormat(value: unknown, path: string): ResponseFormat {
  const f = expectObject(value, path);
  const type = expectString(f.type, `${path}.type`);
  if (type !== 'json_schema') throw invalidRequest(`${path}.type`, `${path}.type: expected "json_schema", got "${type}"`);
  return { type: 'json-schema', schema: expectObject(f.schema, `${path}.schema`) };
}
