/**
 * OpenAI Chat Completions request → canonical request. Strict on what it reads (a 400 naming the
 * field); fields with no canonical counterpart are kept in `extras` and in `raw`, so a same-dialect
 * upstream receives them untouched and any other reports them as unmapped.
 */
import { invalidRequest } from '../../core/errors.js';
import type {
  ContentPart,
  CoreRequest,
  ImagePart,
  Message,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
} from '../../core/request.js';
import {
  expectArray,
  expectNonEmptyString,
  expectObject,
  expectString,
  optBoolean,
  optNumber,
  optString,
  parseDataUrl,
} from '../shared/validate.js';

/** Top-level fields the parser maps; everything else is an extra. */
const KNOWN = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'metadata',
  'fallbacks',
]);

export function parseOpenAIChatRequest(body: unknown): CoreRequest {
  const b = expectObject(body, 'body');
  const model = expectNonEmptyString(b.model, 'model');
  if (b.messages === undefined) throw invalidRequest('messages', 'messages: required');
  const rawMessages = expectArray(b.messages, 'messages');
  if (rawMessages.length === 0) throw invalidRequest('messages', 'messages: must contain at least one message');

  const system: TextPart[] = [];
  const messages: Message[] = [];
  const extras: Record<string, unknown> = {};
  for (let i = 0; i < rawMessages.length; i++) parseMessage(rawMessages[i], `messages[${i}]`, system, messages, extras);

  const req: CoreRequest = {
    model,
    system,
    messages,
    stream: optBoolean(b, 'stream', '') ?? false,
    raw: b,
    dialect: 'openai-chat',
    extras,
  };

  const maxTokens = optNumber(b, 'max_completion_tokens', '', { min: 1, integer: true }) ?? optNumber(b, 'max_tokens', '', { min: 1, integer: true });
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNumber(b, 'temperature', '', { min: 0, max: 2 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(b, 'top_p', '', { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const seed = optNumber(b, 'seed', '', { integer: true });
  if (seed !== undefined) req.seed = seed;
  const presence = optNumber(b, 'presence_penalty', '', { min: -2, max: 2 });
  if (presence !== undefined) req.presencePenalty = presence;
  const frequency = optNumber(b, 'frequency_penalty', '', { min: -2, max: 2 });
  if (frequency !== undefined) req.frequencyPenalty = frequency;
  const user = optString(b, 'user', '');
  if (user !== undefined) req.user = user;

  if (b.stop !== undefined && b.stop !== null) {
    if (typeof b.stop === 'string') req.stop = [b.stop];
    else req.stop = expectArray(b.stop, 'stop').map((s, i) => expectString(s, `stop[${i}]`));
  }
  if (b.stream_options !== undefined && b.stream_options !== null) {
    const so = expectObject(b.stream_options, 'stream_options');
    const inc = optBoolean(so, 'include_usage', 'stream_options.');
    if (inc !== undefined) req.streamUsage = inc;
  }
  if (b.tools !== undefined && b.tools !== null) req.tools = parseTools(b.tools, extras);
  if (b.tool_choice !== undefined && b.tool_choice !== null) req.toolChoice = parseToolChoice(b.tool_choice);
  const ptc = optBoolean(b, 'parallel_tool_calls', '');
  if (ptc !== undefined) req.parallelToolCalls = ptc;
  if (b.response_format !== undefined && b.response_format !== null) req.responseFormat = parseResponseFormat(b.response_format);
  const effort = optString(b, 'reasoning_effort', '');
  if (effort !== undefined) req.reasoning = { effort };
  if (b.metadata !== undefined && b.metadata !== null) req.metadata = expectObject(b.metadata, 'metadata');
  if (b.fallbacks !== undefined) {
    req.fallbacks = expectArray(b.fallbacks, 'fallbacks').map((f, i) => expectNonEmptyString(f, `fallbacks[${i}]`));
    const { fallbacks: _drop, ...rest } = b;
    req.raw = rest;
  }
  if (typeof b.n === 'number' && b.n > 1) extras.n = b.n;
  for (const key in b) {
    if (!KNOWN.has(key) && key !== 'n') extras[key] = b[key];
  }
  return req;
}

function parseMessage(value: unknown, path: string, system: TextPart[], out: Message[], extras: Record<string, unknown>): void {
  const m = expectObject(value, path);
  const role = expectString(m.role, `${path}.role`);
  switch (role) {
    case 'system':
    case 'developer': {
      for (const part of parseContent(m.content, `${path}.content`, extras, true)) {
        if (part.type === 'text') system.push(part);
      }
      return;
    }
    case 'user': {
      const msg: Message = { role: 'user', content: parseContent(m.content, `${path}.content`, extras, false) };
      const name = optString(m, 'name', `${path}.`);
      if (name !== undefined) msg.name = name;
      out.push(msg);
      return;
    }
    case 'assistant': {
      const content: ContentPart[] = [];
      const rc = m.reasoning_content;
      if (typeof rc === 'string' && rc.length > 0) content.push({ type: 'reasoning', text: rc });
      if (m.content !== undefined && m.content !== null) content.push(...parseContent(m.content, `${path}.content`, extras, true));
      const refusal = optString(m, 'refusal', `${path}.`);
      if (refusal) content.push({ type: 'text', text: refusal });
      if (m.tool_calls !== undefined && m.tool_calls !== null) {
        const calls = expectArray(m.tool_calls, `${path}.tool_calls`);
        calls.forEach((c, j) => {
          const cp = `${path}.tool_calls[${j}]`;
          const call = expectObject(c, cp);
          const fn = expectObject(call.function, `${cp}.function`);
          content.push({
            type: 'tool-call',
            id: expectNonEmptyString(call.id, `${cp}.id`),
            name: expectNonEmptyString(fn.name, `${cp}.function.name`),
            arguments: fn.arguments === undefined ? '{}' : expectString(fn.arguments, `${cp}.function.arguments`),
          });
        });
      }
      const msg: Message = { role: 'assistant', content };
      const name = optString(m, 'name', `${path}.`);
      if (name !== undefined) msg.name = name;
      out.push(msg);
      return;
    }
    case 'tool': {
      const toolCallId = expectNonEmptyString(m.tool_call_id, `${path}.tool_call_id`);
      const parts = parseContent(m.content, `${path}.content`, extras, false).filter(
        (p): p is TextPart | ImagePart => p.type === 'text' || p.type === 'image',
      );
      const onlyText = parts.every((p) => p.type === 'text');
      const content = onlyText ? parts.map((p) => (p as TextPart).text).join('') : parts;
      const last = out[out.length - 1];
      const part: ContentPart = { type: 'tool-result', toolCallId, content };
      if (last && last.role === 'tool') last.content.push(part);
      else out.push({ role: 'tool', content: [part] });
      return;
    }
    case 'function':
      throw invalidRequest(`${path}.role`, `${path}.role: the deprecated "function" role is not supported; use "tool" messages with tool_call_id`);
    default:
      throw invalidRequest(`${path}.role`, `${path}.role: expected one of system, developer, user, assistant, tool; got "${role}"`);
  }
}

function parseContent(value: unknown, path: string, extras: Record<string, unknown>, textOnly: boolean): ContentPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalidRequest(path, `${path}: required`);
  const parts = expectArray(value, path);
  const out: ContentPart[] = [];
  parts.forEach((p, i) => {
    const pp = `${path}[${i}]`;
    const part = expectObject(p, pp);
    const type = expectString(part.type, `${pp}.type`);
    if (type === 'text') {
      out.push({ type: 'text', text: expectString(part.text, `${pp}.text`) });
    } else if (type === 'refusal') {
      out.push({ type: 'text', text: expectString(part.refusal, `${pp}.refusal`) });
    } else if (type === 'image_url' && !textOnly) {
      const img = expectObject(part.image_url, `${pp}.image_url`);
      const url = expectNonEmptyString(img.url, `${pp}.image_url.url`);
      const data = parseDataUrl(url);
      const image: ImagePart = { type: 'image', source: data ? { kind: 'base64', mediaType: data.mediaType, data: data.data } : { kind: 'url', url } };
      const detail = optString(img, 'detail', `${pp}.image_url.`);
      if (detail !== undefined) image.detail = detail;
      out.push(image);
    } else {
      // input_audio, file and future part types: carried to OpenAI-dialect upstreams through `raw`.
      extras[`content:${type}`] = true;
    }
  });
  return out;
}

function parseTools(value: unknown, extras: Record<string, unknown>): ToolDefinition[] {
  const tools = expectArray(value, 'tools');
  const out: ToolDefinition[] = [];
  tools.forEach((t, i) => {
    const p = `tools[${i}]`;
    const tool = expectObject(t, p);
    const type = expectString(tool.type, `${p}.type`);
    if (type !== 'function') {
      extras[`tools:${type}`] = true;
      return;
    }
    const fn = expectObject(tool.function, `${p}.function`);
    const def: ToolDefinition = {
      name: expectNonEmptyString(fn.name, `${p}.function.name`),
      parameters: fn.parameters === undefined ? { type: 'object', properties: {} } : expectObject(fn.parameters, `${p}.function.parameters`),
    };
    const description = optString(fn, 'description', `${p}.function.`);
    if (description !== undefined) def.description = description;
    const strict = optBoolean(fn, 'strict', `${p}.function.`);
    if (strict !== undefined) def.strict = strict;
    out.push(def);
  });
  return out;
}

function parseToolChoice(value: unknown): ToolChoice {
  if (typeof value === 'string') {
    if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
    throw invalidRequest('tool_choice', `tool_choice: expected "auto", "none", "required" or an object; got "${value}"`);
  }
  const tc = expectObject(value, 'tool_choice');
  const fn = expectObject(tc.function, 'tool_choice.function');
  return { type: 'tool', name: expectNonEmptyString(fn.name, 'tool_choice.function.name') };
}

function parseResponseFormat(value: unknown): ResponseFormat {
  const rf = expectObject(value, 'response_format');
  const type = expectString(rf.type, 'response_format.type');
  if (type === 'text') return { type: 'text' };
  if (type === 'json_object') return { type: 'json' };
  if (type === 'json_schema') {
    const js = expectObject(rf.json_schema, 'response_format.json_schema');
    const out: ResponseFormat = {
      type: 'json-schema',
      schema: js.schema === undefined ? {} : expectObject(js.schema, 'response_format.json_schema.schema'),
    };
    const name = optString(js, 'name', 'response_format.json_schema.');
    if (name !== undefined) out.name = name;
    const description = optString(js, 'description', 'response_format.json_schema.');
    if (description !== undefined) out.description = description;
    const strict = optBoolean(js, 'strict', 'response_format.json_schema.');
    if (strict !== undefined) out.strict = strict;
    return out;
  }
  throw invalidRequest('response_format.type', `response_format.type: expected "text", "json_object" or "json_schema"; got "${type}"`);
}

