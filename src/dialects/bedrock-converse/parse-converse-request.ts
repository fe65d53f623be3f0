/**
 * Bedrock Converse request (as `@aws-sdk/client-bedrock-runtime` sends `ConverseCommand` /
 * `ConverseStreamCommand`) → canonical request. The model id and whether to stream come from
 * the URL (`/model/{modelId}/converse` or `/converse-stream`), so the server hands the parser a
 * {@link ConverseCall}: path facts plus the JSON body.
 *
 * `additionalModelRequestFields.thinking` (Anthropic's extended thinking on Bedrock) and `top_k`
 * map to their canonical counterparts; cache points, guardrails, documents, video and other
 * fields with no canonical counterpart are named in `extras`, reported as unmapped.
 */
import { invalidRequest } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, TextPart, ToolChoice, ToolDefinition } from '../../core/request.js';
import { describe, expectArray, expectNonEmptyString, expectObject, expectString, optNumber } from '../shared/validate.js';
import type { Obj } from '../shared/validate.js';

/** What the server knows from the URL, with the body. */
export interface ConverseCall {
  /** The model id from the path (alias or provider/model), URL-decoded. */
  model: string;
  /** `/converse-stream`. */
  stream: boolean;
  body: unknown;
}

export function isConverseCall(v: unknown): v is ConverseCall {
  return typeof v === 'object' && v !== null && typeof (v as ConverseCall).model === 'string' && typeof (v as ConverseCall).stream === 'boolean' && 'body' in v;
}

const KNOWN = new Set(['messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields']);
const IMAGE_FORMATS: Readonly<Record<string, string>> = { png: 'image/png', jpeg: 'image/jpeg', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

export function parseConverseRequest(call: unknown): CoreRequest {
  if (!isConverseCall(call)) throw new Error('parseConverseRequest: expected a ConverseCall from the server');
  const b = expectObject(call.body ?? {}, 'body');
  const extras: Record<string, unknown> = {};
  for (const k of Object.keys(b)) if (!KNOWN.has(k) && b[k] !== undefined && b[k] !== null) extras[k] = b[k];
  if (b.messages === undefined || b.messages === null) throw invalidRequest('messages', 'messages: required');
  const raw = expectArray(b.messages, 'messages');
  if (raw.length === 0) throw invalidRequest('messages', 'messages: must contain at least one message');
  const messages: Message[] = [];
  raw.forEach((m, i) => parseMessage(m, `messages[${i}]`, messages, extras));

  const req: CoreRequest = {
    model: call.model,
    system: b.system === undefined || b.system === null ? [] : parseSystem(b.system, extras),
    messages,
    stream: call.stream,
    raw: b,
    dialect: 'bedrock-converse',
    extras,
  };
  // ConverseStream always ends with a metadata event carrying usage.
  if (call.stream) req.streamUsage = true;

  if (b.inferenceConfig !== undefined && b.inferenceConfig !== null) {
    const ic = expectObject(b.inferenceConfig, 'inferenceConfig');
    const p = 'inferenceConfig.';
    const max = optNumber(ic, 'maxTokens', p, { min: 1, integer: true });
    if (max !== undefined) req.maxTokens = max;
    const temperature = optNumber(ic, 'temperature', p, { min: 0, max: 1 });
    if (temperature !== undefined) req.temperature = temperature;
    const topP = optNumber(ic, 'topP', p, { min: 0, max: 1 });
    if (topP !== undefined) req.topP = topP;
    if (ic.stopSequences !== undefined && ic.stopSequences !== null) {
      req.stop = expectArray(ic.stopSequences, `${p}stopSequences`).map((s, i) => expectString(s, `${p}stopSequences[${i}]`));
    }
  }
  if (b.toolConfig !== undefined && b.toolConfig !== null) {
    const tc = expectObject(b.toolConfig, 'toolConfig');
    const tools = parseTools(tc.tools, extras);
    if (tools.length > 0) req.tools = tools;
    if (tc.toolChoice !== undefined && tc.toolChoice !== null) req.toolChoice = parseToolChoice(expectObject(tc.toolChoice, 'toolConfig.toolChoice'));
  }
  if (b.additionalModelRequestFields !== undefined && b.additionalModelRequestFields !== null) {
    const a = expectObject(b.additionalModelRequestFields, 'additionalModelRequestFields');
    for (const [k, v] of Object.entries(a)) {
      if (k === 'top_k' || k === 'topK') {
        const topK = optNumber(a, k, 'additionalModelRequestFields.', { min: 0, integer: true });
        if (topK !== undefined) req.topK = topK;
      } else if (k === 'thinking' && v !== null && typeof v === 'object') {
        const t = v as Obj;
        if (t.type === 'enabled') {
          const budget = optNumber(t, 'budget_tokens', 'additionalModelRequestFields.thinking.', { min: 1, integer: true });
          if (budget === undefined) throw invalidRequest('additionalModelRequestFields.thinking.budget_tokens', 'additionalModelRequestFields.thinking.budget_tokens: required when thinking.type is "enabled"');
          req.reasoning = { budgetTokens: budget };
        } else if (t.type === 'disabled') req.reasoning = { disabled: true };
        else extras['additionalModelRequestFields.thinking'] = v;
      } else {
        extras[`additionalModelRequestFields.${k}`] = v;
      }
    }
  }
  return req;
}

function parseSystem(value: unknown, extras: Record<string, unknown>): TextPart[] {
  const out: TextPart[] = [];
  expectArray(value, 'system').forEach((s, i) => {
    const block = expectObject(s, `system[${i}]`);
    if (typeof block.text === 'string') out.push({ type: 'text', text: block.text });
    else if (block.cachePoint !== undefined) {
      const last = out[out.length - 1];
      if (last) last.cacheControl = { type: 'ephemeral' };
    } else extras[`system:${Object.keys(block)[0] ?? 'empty'}`] = true;
  });
  return out;
}

function image(v: unknown, path: string): ImagePart {
  const img = expectObject(v, path);
  const format = expectNonEmptyString(img.format, `${path}.format`);
  const mediaType = IMAGE_FORMATS[format];
  if (!mediaType) throw invalidRequest(`${path}.format`, `${path}.format: expected png, jpeg, gif or webp, got "${format}"`);
  const source = expectObject(img.source, `${path}.source`);
  if (typeof source.bytes === 'string') return { type: 'image', source: { kind: 'base64', mediaType, data: source.bytes } };
  throw invalidRequest(`${path}.source`, `${path}.source: expected bytes (S3 locations cannot be carried to other providers)`);
}

function parseMessage(value: unknown, path: string, out: Message[], extras: Record<string, unknown>): void {
  const m = expectObject(value, path);
  const role = expectString(m.role, `${path}.role`);
  if (role !== 'user' && role !== 'assistant') throw invalidRequest(`${path}.role`, `${path}.role: expected "user" or "assistant", got "${role}"`);
  const content = expectArray(m.content, `${path}.content`);
  let current: Message | undefined;
  const push = (target: Message['role'], part: ContentPart) => {
    if (!current || current.role !== target) {
      current = { role: target, content: [] };
      out.push(current);
    }
    current.content.push(part);
  };
  content.forEach((c, j) => {
    const p = `${path}.content[${j}]`;
    const block = expectObject(c, p);
    if (typeof block.text === 'string') push(role, { type: 'text', text: block.text });
    else if (block.image !== undefined && block.image !== null) {
      const img = expectObject(block.image, `${p}.image`);
      const source = expectObject(img.source, `${p}.image.source`);
      if (typeof source.bytes !== 'string') {
        extras['content:image.s3Location'] = true;
        return;
      }
      push(role, image(img, `${p}.image`));
    } else if (block.toolUse !== undefined && block.toolUse !== null) {
      if (role !== 'assistant') throw invalidRequest(`${p}.toolUse`, `${p}.toolUse: only an assistant message can use a tool`);
      const tu = expectObject(block.toolUse, `${p}.toolUse`);
      push('assistant', {
        type: 'tool-call',
        id: expectNonEmptyString(tu.toolUseId, `${p}.toolUse.toolUseId`),
        name: expectNonEmptyString(tu.name, `${p}.toolUse.name`),
        arguments: JSON.stringify(tu.input ?? {}),
      });
    } else if (block.toolResult !== undefined && block.toolResult !== null) {
      const tr = expectObject(block.toolResult, `${p}.toolResult`);
      const parts: Array<TextPart | ImagePart> = [];
      expectArray(tr.content ?? [], `${p}.toolResult.content`).forEach((rc, k) => {
        const rp = `${p}.toolResult.content[${k}]`;
        const r = expectObject(rc, rp);
        if (typeof r.text === 'string') parts.push({ type: 'text', text: r.text });
        else if (r.json !== undefined) parts.push({ type: 'text', text: JSON.stringify(r.json) });
        else if (r.image !== undefined && r.image !== null) parts.push(image(r.image, `${rp}.image`));
        else extras[`content:toolResult.${Object.keys(r)[0] ?? 'empty'}`] = true;
      });
      const onlyText = parts.every((x) => x.type === 'text');
      push('tool', {
        type: 'tool-result',
        toolCallId: expectNonEmptyString(tr.toolUseId, `${p}.toolResult.toolUseId`),
        content: onlyText ? parts.map((x) => (x as TextPart).text).join('') : parts,
        ...(tr.status === 'error' ? { isError: true } : {}),
      });
    } else if (block.reasoningContent !== undefined && block.reasoningContent !== null) {
      const rc = expectObject(block.reasoningContent, `${p}.reasoningContent`);
      if (rc.reasoningText !== undefined && rc.reasoningText !== null) {
        const rt = expectObject(rc.reasoningText, `${p}.reasoningContent.reasoningText`);
        const part: ContentPart = { type: 'reasoning', text: expectString(rt.text, `${p}.reasoningContent.reasoningText.text`) };
        if (typeof rt.signature === 'string') part.signature = rt.signature;
        push('assistant', part);
      } else if (typeof rc.redactedContent === 'string') push('assistant', { type: 'reasoning', text: '', redactedData: rc.redactedContent });
    } else if (block.cachePoint !== undefined) {
      const last = current?.content[current.content.length - 1];
      if (last?.type === 'text') last.cacheControl = { type: 'ephemeral' };
    } else {
      extras[`content:${Object.keys(block)[0] ?? 'empty'}`] = true;
    }
  });
}

function parseTools(value: unknown, extras: Record<string, unknown>): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  const out: ToolDefinition[] = [];
  expectArray(value, 'toolConfig.tools').forEach((t, i) => {
    const p = `toolConfig.tools[${i}]`;
    const tool = expectObject(t, p);
    if (tool.toolSpec === undefined || tool.toolSpec === null) {
      extras[`tools:${Object.keys(tool)[0] ?? 'empty'}`] = true;
      return;
    }
    const spec = expectObject(tool.toolSpec, `${p}.toolSpec`);
    const schema = spec.inputSchema === undefined || spec.inputSchema === null ? undefined : expectObject(spec.inputSchema, `${p}.toolSpec.inputSchema`);
    const def: ToolDefinition = {
      name: expectNonEmptyString(spec.name, `${p}.toolSpec.name`),
      parameters: schema?.json === undefined || schema.json === null ? { type: 'object', properties: {} } : expectObject(schema.json, `${p}.toolSpec.inputSchema.json`),
    };
    if (typeof spec.description === 'string' && spec.description.length > 0) def.description = spec.description;
    out.push(def);
  });
  return out;
}

function parseToolChoice(c: Obj): ToolChoice {
  if (c.auto !== undefined) return { type: 'auto' };
  if (c.any !== undefined) return { type: 'required' };
  if (c.tool !== undefined && c.tool !== null) return { type: 'tool', name: expectNonEmptyString(expectObject(c.tool, 'toolConfig.toolChoice.tool').name, 'toolConfig.toolChoice.tool.name') };
  throw invalidRequest('toolConfig.toolChoice', `toolConfig.toolChoice: expected one of auto, any or tool, got ${describe(c)} with ${Object.keys(c).join(', ') || 'no keys'}`);
}
