/**
 * OpenAI Responses request (`POST /v1/responses`) → canonical request. `input` is a string or a
 * list of items: messages (easy or typed, roles user / assistant / system / developer), assistant
 * `function_call`s, `function_call_output`s and `reasoning` items. Strict on what it reads (a 400
 * naming the field); item, part and tool types the canonical model cannot hold are kept in `extras`
 * (and in `raw`, so a Responses upstream receives them untouched; any other reports them).
 *
 * `store` and `previous_response_id` are the gateway's own business (conversation state): the
 * server resolves `previous_response_id` before this parser runs, so neither is an extra.
 */
import { invalidRequest } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, ReasoningPart, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../core/request.js';
import { expectArray, expectNonEmptyString, expectObject, expectString, optBoolean, optNumber, optString, parseDataUrl } from '../shared/validate.js';
import type { Obj } from '../shared/validate.js';
import { decodeReasoningCarrier } from './reasoning-carrier.js';

/** Top-level fields the parser maps or the gateway handles; everything else is an extra. */
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'stream',
  'stream_options',
  'max_output_tokens',
  'temperature',
  'top_p',
  'user',
  'safety_identifier',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'metadata',
  'store',
  'previous_response_id',
  'fallbacks',
  'truncation',
]);

export function parseOpenAIResponsesRequest(body: unknown): CoreRequest {
  const b = expectObject(body, 'body');
  const model = expectNonEmptyString(b.model, 'model');
  const extras: Record<string, unknown> = {};
  const system: TextPart[] = [];
  const messages: Message[] = [];

  const instructions = optString(b, 'instructions', '');
  if (instructions) system.push({ type: 'text', text: instructions });
  if (b.input === undefined || b.input === null) throw invalidRequest('input', 'input: required (a string or a list of input items)');
  if (typeof b.input === 'string') messages.push({ role: 'user', content: [{ type: 'text', text: b.input }] });
  else {
    const items = expectArray(b.input, 'input');
    items.forEach((item, i) => parseItem(item, `input[${i}]`, { system, messages, extras }));
  }
  if (messages.length === 0) throw invalidRequest('input', 'input: must contain at least one message or item besides system and developer messages');

  const req: CoreRequest = {
    model,
    system,
    messages,
    stream: optBoolean(b, 'stream', '') ?? false,
    raw: b,
    dialect: 'openai-responses',
    extras,
  };
  const maxTokens = optNumber(b, 'max_output_tokens', '', { min: 1, integer: true });
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNumber(b, 'temperature', '', { min: 0, max: 2 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(b, 'top_p', '', { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const user = optString(b, 'user', '') ?? optString(b, 'safety_identifier', '');
  if (user !== undefined) req.user = user;
  optBoolean(b, 'store', '');
  optString(b, 'previous_response_id', '');
  if (b.stream_options !== undefined && b.stream_options !== null) expectObject(b.stream_options, 'stream_options');
  if (b.tools !== undefined && b.tools !== null) {
    const tools = parseTools(b.tools, extras);
    if (tools.length) req.tools = tools;
  }
  if (b.tool_choice !== undefined && b.tool_choice !== null) {
    const choice = parseToolChoice(b.tool_choice, extras);
    if (choice) req.toolChoice = choice;
  }
  const ptc = optBoolean(b, 'parallel_tool_calls', '');
  if (ptc !== undefined) req.parallelToolCalls = ptc;
  if (b.text !== undefined && b.text !== null) {
    const text = expectObject(b.text, 'text');
    if (text.format !== undefined && text.format !== null) req.responseFormat = parseFormat(text.format);
    if (text.verbosity !== undefined && text.verbosity !== null) extras['text.verbosity'] = text.verbosity;
  }
  if (b.reasoning !== undefined && b.reasoning !== null) {
    const r = expectObject(b.reasoning, 'reasoning');
    const effort = optString(r, 'effort', 'reasoning.');
    if (effort === 'none') req.reasoning = { disabled: true };
    else if (effort !== undefined) req.reasoning = { effort };
    // `summary` asks to see the reasoning: the formatter shows canonical reasoning text as summary
    // text when it is set, and an empty summary otherwise (as OpenAI does).
    optString(r, 'summary', 'reasoning.');
  }
  if (b.metadata !== undefined && b.metadata !== null) req.metadata = expectObject(b.metadata, 'metadata');
  if (b.truncation !== undefined && b.truncation !== null && b.truncation !== 'disabled') extras.truncation = b.truncation;
  if (b.fallbacks !== undefined) {
    req.fallbacks = expectArray(b.fallbacks, 'fallbacks').map((f, i) => expectNonEmptyString(f, `fallbacks[${i}]`));
    const { fallbacks: _drop, ...rest } = b;
    req.raw = rest;
  }
  for (const key in b) {
    if (KNOWN.has(key)) continue;
    const v = b[key];
    if (v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
    extras[key] = v;
  }
  return req;
}

interface ItemState {
  system: TextPart[];
  messages: Message[];
  extras: Record<string, unknown>;
}

/** The assistant message the next assistant-side item joins (consecutive items form one turn). */
function assistantTurn(state: ItemState): Message {
  const last = state.messages[state.messages.length - 1];
  if (last && last.role === 'assistant') return last;
  const m: Message = { role: 'assistant', content: [] };
  state.messages.push(m);
  return m;
}

function parseItem(value: unknown, path: string, state: ItemState): void {
  const item = expectObject(value, path);
  const type = item.type === undefined || item.type === null ? 'message' : expectString(item.type, `${path}.type`);
  switch (type) {
    case 'message':
      return parseMessageItem(item, path, state);
    case 'function_call': {
      const call: ContentPart = {
        type: 'tool-call',
        id: expectNonEmptyString(item.call_id, `${path}.call_id`),
        name: expectNonEmptyString(item.name, `${path}.name`),
        arguments: item.arguments === undefined ? '{}' : expectString(item.arguments, `${path}.arguments`),
      };
      assistantTurn(state).content.push(call);
      return;
    }
    case 'function_call_output': {
      const toolCallId = expectNonEmptyString(item.call_id, `${path}.call_id`);
      const content = parseToolOutput(item.output, `${path}.output`, state.extras);
      const part: ContentPart = { type: 'tool-result', toolCallId, content };
      const last = state.messages[state.messages.length - 1];
      if (last && last.role === 'tool') last.content.push(part);
      else state.messages.push({ role: 'tool', content: [part] });
      return;
    }
    case 'reasoning': {
      const part = parseReasoningItem(item, path);
      if (part) assistantTurn(state).content.push(part);
      return;
    }
    default:
      // item_reference, hosted-tool calls and their outputs, MCP items, …: a Responses upstream
      // receives them through `raw`; any other target reports them as unmapped.
      state.extras[`item:${type}`] = true;
  }
}

function parseMessageItem(item: Obj, path: string, state: ItemState): void {
  const role = expectString(item.role, `${path}.role`);
  switch (role) {
    case 'system':
    case 'developer':
      for (const p of parseContent(item.content, `${path}.content`, state.extras)) if (p.type === 'text') state.system.push(p);
      return;
    case 'user': {
      state.messages.push({ role: 'user', content: parseContent(item.content, `${path}.content`, state.extras) });
      return;
    }
    case 'assistant': {
      const parts = parseContent(item.content, `${path}.content`, state.extras).filter((p): p is TextPart => p.type === 'text');
      assistantTurn(state).content.push(...parts);
      return;
    }
    default:
      throw invalidRequest(`${path}.role`, `${path}.role: expected one of user, assistant, system, developer; got "${role}"`);
  }
}

function parseContent(value: unknown, path: string, extras: Record<string, unknown>): Array<TextPart | ImagePart> {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalidRequest(path, `${path}: required`);
  const out: Array<TextPart | ImagePart> = [];
  expectArray(value, path).forEach((p, i) => {
    const pp = `${path}[${i}]`;
    const part = expectObject(p, pp);
    const type = expectString(part.type, `${pp}.type`);
    switch (type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        out.push({ type: 'text', text: expectString(part.text, `${pp}.text`) });
        return;
      case 'refusal':
        out.push({ type: 'text', text: expectString(part.refusal, `${pp}.refusal`) });
        return;
      case 'input_image': {
        const image = parseImage(part, pp, extras);
        if (image) out.push(image);
        return;
      }
      default:
        // input_file, input_audio and future part types.
        extras[`content:${type}`] = true;
    }
  });
  return out;
}

function parseImage(part: Obj, path: string, extras: Record<string, unknown>): ImagePart | undefined {
  const url = optString(part, 'image_url', `${path}.`);
  if (url === undefined) {
    // A `file_id` names an upload on OpenAI's side: only a Responses upstream can resolve it.
    if (part.file_id !== undefined && part.file_id !== null) extras['content:input_image.file_id'] = true;
    else throw invalidRequest(`${path}.image_url`, `${path}.image_url: required (a URL or a data: URL) unless file_id is given`);
    return undefined;
  }
  const data = parseDataUrl(url);
  const image: ImagePart = { type: 'image', source: data ? { kind: 'base64', mediaType: data.mediaType, data: data.data } : { kind: 'url', url } };
  const detail = optString(part, 'detail', `${path}.`);
  if (detail !== undefined) image.detail = detail;
  return image;
}

function parseToolOutput(value: unknown, path: string, extras: Record<string, unknown>): string | Array<TextPart | ImagePart> {
  if (typeof value === 'string') return value;
  const parts = parseContent(value, path, extras);
  return parts.every((p) => p.type === 'text') ? parts.map((p) => (p as TextPart).text).join('') : parts;
}

function parseReasoningItem(item: Obj, path: string): ReasoningPart | undefined {
  const encrypted = optString(item, 'encrypted_content', `${path}.`);
  const carried = encrypted !== undefined ? decodeReasoningCarrier(encrypted) : undefined;
  if (carried) return carried;
  let text = '';
  if (item.summary !== undefined && item.summary !== null) {
    expectArray(item.summary, `${path}.summary`).forEach((s, i) => {
      const sp = expectObject(s, `${path}.summary[${i}]`);
      text += (text ? '\n\n' : '') + expectString(sp.text, `${path}.summary[${i}].text`);
    });
  }
  const id = optString(item, 'id', `${path}.`);
  // OpenAI's own reasoning: only OpenAI can read it back, so it travels as provider metadata.
  if (encrypted === undefined && !text) return undefined;
  const part: ReasoningPart = { type: 'reasoning', text };
  if (encrypted !== undefined || id !== undefined) {
    part.providerMetadata = { openai: { ...(id !== undefined ? { id } : {}), ...(encrypted !== undefined ? { encrypted_content: encrypted } : {}) } };
  }
  return part;
}

function parseTools(value: unknown, extras: Record<string, unknown>): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  expectArray(value, 'tools').forEach((t, i) => {
    const p = `tools[${i}]`;
    const tool = expectObject(t, p);
    const type = expectString(tool.type, `${p}.type`);
    if (type !== 'function') {
      extras[`tools:${type}`] = true;
      return;
    }
    const def: ToolDefinition = {
      name: expectNonEmptyString(tool.name, `${p}.name`),
      parameters: tool.parameters === undefined || tool.parameters === null ? { type: 'object', properties: {} } : expectObject(tool.parameters, `${p}.parameters`),
    };
    const description = optString(tool, 'description', `${p}.`);
    if (description !== undefined) def.description = description;
    const strict = optBoolean(tool, 'strict', `${p}.`);
    if (strict !== undefined) def.strict = strict;
    out.push(def);
  });
  return out;
}

function parseToolChoice(value: unknown, extras: Record<string, unknown>): ToolChoice | undefined {
  if (typeof value === 'string') {
    if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
    throw invalidRequest('tool_choice', `tool_choice: expected "auto", "none", "required" or an object; got "${value}"`);
  }
  const tc = expectObject(value, 'tool_choice');
  const type = expectString(tc.type, 'tool_choice.type');
  if (type === 'function') return { type: 'tool', name: expectNonEmptyString(tc.name, 'tool_choice.name') };
  // allowed_tools, hosted tools, mcp, custom: only a Responses upstream knows them.
  extras[`tool_choice:${type}`] = true;
  return undefined;
}

function parseFormat(value: unknown): ResponseFormat {
  const f = expectObject(value, 'text.format');
  const type = expectString(f.type, 'text.format.type');
  if (type === 'text') return { type: 'text' };
  if (type === 'json_object') return { type: 'json' };
  if (type === 'json_schema') {
    const out: ResponseFormat = { type: 'json-schema', schema: expectObject(f.schema, 'text.format.schema') };
    const name = optString(f, 'name', 'text.format.');
    if (name !== undefined) out.name = name;
    const description = optString(f, 'description', 'text.format.');
    if (description !== undefined) out.description = description;
    const strict = optBoolean(f, 'strict', 'text.format.');
    if (strict !== undefined) out.strict = strict;
    return out;
  }
  throw invalidRequest('text.format.type', `text.format.type: expected "text", "json_object" or "json_schema"; got "${type}"`);
}
