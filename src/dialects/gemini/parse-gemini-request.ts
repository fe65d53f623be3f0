/**
 * Gemini `generateContent` request (as `@google/genai` sends it) → canonical request. The model
 * and whether to stream come from the URL (`models/{model}:generateContent` or
 * `:streamGenerateContent`), so the server hands the parser a {@link GeminiCall}: path facts plus
 * the JSON body.
 *
 * Gemini calls carry no ids; a `functionResponse` answers the earlier `functionCall` with its `id`
 * when both have one, else the oldest unanswered call of the same name. Call ids are synthesized
 * per position (`call_<turn>_<n>`), so the same conversation always gets the same ids.
 * What has no canonical counterpart (safety settings, cached content, built-in tools such as
 * Google Search, extra candidates) is named in `extras`, reported as unmapped.
 */
import { invalidRequest } from '../../core/errors.js';
import type { ContentPart, CoreRequest, Message, ReasoningConfig, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/request.js';
import { describe, expectArray, expectNonEmptyString, expectObject, expectString, optBoolean, optNumber } from '../shared/validate.js';
import type { Obj } from '../shared/validate.js';
import { geminiSchemaToJsonSchema } from './gemini-schema-to-json-schema.js';

/** What the server knows from the URL, with the body. */
export interface GeminiCall {
  /** The model named in the path (alias or provider/model), URL-decoded, without `models/`. */
  model: string;
  /** `:streamGenerateContent`. */
  stream: boolean;
  body: unknown;
}

export function isGeminiCall(v: unknown): v is GeminiCall {
  return typeof v === 'object' && v !== null && typeof (v as GeminiCall).model === 'string' && typeof (v as GeminiCall).stream === 'boolean' && 'body' in v;
}

const KNOWN = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'model']);
const KNOWN_GENERATION = new Set([
  'temperature',
  'topP',
  'topK',
  'maxOutputTokens',
  'stopSequences',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'thinkingConfig',
  'candidateCount',
]);

/** Thinking levels → canonical effort. */
const LEVELS: Readonly<Record<string, string>> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' };

interface PendingCall {
  id: string;
  name: string;
  callId?: string;
}

export function parseGeminiRequest(call: unknown): CoreRequest {
  if (!isGeminiCall(call)) throw new Error('parseGeminiRequest: expected a GeminiCall from the server');
  const b = expectObject(call.body, 'body');
  const extras: Record<string, unknown> = {};
  for (const k of Object.keys(b)) if (!KNOWN.has(k)) extras[k] = b[k];

  if (b.contents === undefined || b.contents === null) throw invalidRequest('contents', 'contents: required');
  const contents = expectArray(b.contents, 'contents');
  if (contents.length === 0) throw invalidRequest('contents', 'contents: must contain at least one content');
  const messages = parseContents(contents, extras);

  const req: CoreRequest = {
    model: call.model,
    system: b.systemInstruction === undefined || b.systemInstruction === null ? [] : parseSystem(b.systemInstruction),
    messages,
    stream: call.stream,
    raw: b,
    dialect: 'gemini',
    extras,
  };
  // A stream's last chunk carries usageMetadata, always.
  if (call.stream) req.streamUsage = true;

  if (b.generationConfig !== undefined && b.generationConfig !== null) parseGenerationConfig(expectObject(b.generationConfig, 'generationConfig'), req, extras);
  if (b.tools !== undefined && b.tools !== null) {
    const tools = parseTools(b.tools, extras);
    if (tools.length > 0) req.tools = tools;
  }
  if (b.toolConfig !== undefined && b.toolConfig !== null) {
    const choice = parseToolConfig(expectObject(b.toolConfig, 'toolConfig'));
    if (choice) req.toolChoice = choice;
  }
  return req;
}

function parseSystem(value: unknown): CoreRequest['system'] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  const sys = expectObject(value, 'systemInstruction');
  const parts = expectArray(sys.parts, 'systemInstruction.parts');
  return parts.map((p, i) => ({ type: 'text' as const, text: expectString(expectObject(p, `systemInstruction.parts[${i}]`).text, `systemInstruction.parts[${i}].text`) }));
}

function parseContents(contents: unknown[], extras: Record<string, unknown>): Message[] {
  const out: Message[] = [];
  /** Calls the model made that no functionResponse answered yet, oldest first. */
  let pending: PendingCall[] = [];
  contents.forEach((c, i) => {
    const path = `contents[${i}]`;
    const content = expectObject(c, path);
    const role = content.role === undefined || content.role === null ? 'user' : expectString(content.role, `${path}.role`);
    if (role !== 'user' && role !== 'model' && role !== 'function' && role !== 'tool') {
      throw invalidRequest(`${path}.role`, `${path}.role: expected "user" or "model", got "${role}"`);
    }
    const parts = expectArray(content.parts, `${path}.parts`);
    let current: Message | undefined;
    let calls = 0;
    const push = (target: Message['role'], part: ContentPart) => {
      if (!current || current.role !== target) {
        current = { role: target, content: [] };
        out.push(current);
      }
      current.content.push(part);
    };
    parts.forEach((raw, j) => {
      const pp = `${path}.parts[${j}]`;
      const p = expectObject(raw, pp);
      const sig = typeof p.thoughtSignature === 'string' && p.thoughtSignature.length > 0 ? { gemini: { thoughtSignature: p.thoughtSignature } } : undefined;
      if (p.functionCall !== undefined && p.functionCall !== null) {
        if (role !== 'model') throw invalidRequest(`${pp}.functionCall`, `${pp}.functionCall: only a "model" turn can call a function`);
        const fc = expectObject(p.functionCall, `${pp}.functionCall`);
        const name = expectNonEmptyString(fc.name, `${pp}.functionCall.name`);
        const callId = typeof fc.id === 'string' && fc.id.length > 0 ? fc.id : undefined;
        const id = callId ?? `call_${i}_${calls}`;
        calls++;
        const args = fc.args === undefined || fc.args === null ? {} : expectObject(fc.args, `${pp}.functionCall.args`);
        const part: ContentPart = { type: 'tool-call', id, name, arguments: JSON.stringify(args) };
        if (sig) part.providerMetadata = sig;
        pending.push({ id, name, ...(callId ? { callId } : {}) });
        push('assistant', part);
      } else if (p.functionResponse !== undefined && p.functionResponse !== null) {
        const fr = expectObject(p.functionResponse, `${pp}.functionResponse`);
        const name = expectNonEmptyString(fr.name, `${pp}.functionResponse.name`);
        const frId = typeof fr.id === 'string' && fr.id.length > 0 ? fr.id : undefined;
        const match = (frId !== undefined ? pending.find((c) => c.callId === frId) : undefined) ?? pending.find((c) => c.name === name);
        if (!match) {
          throw invalidRequest(`${pp}.functionResponse`, `${pp}.functionResponse: no earlier functionCall named "${name}" is left to answer`);
        }
        pending = pending.filter((c) => c !== match);
        const response = fr.response === undefined || fr.response === null ? {} : expectObject(fr.response, `${pp}.functionResponse.response`);
        push('tool', { type: 'tool-result', toolCallId: match.id, content: toolResultText(response), ...(response.error !== undefined && response.output === undefined ? { isError: true } : {}) });
      } else if (typeof p.text === 'string') {
        if (p.thought === true) {
          const part: ContentPart = { type: 'reasoning', text: p.text };
          if (sig) part.providerMetadata = sig;
          push('assistant', part);
        } else {
          const part: ContentPart = { type: 'text', text: p.text };
          if (sig) part.providerMetadata = sig;
          push(role === 'model' ? 'assistant' : 'user', part);
        }
      } else if (p.inlineData !== undefined && p.inlineData !== null) {
        const d = expectObject(p.inlineData, `${pp}.inlineData`);
        const mediaType = expectNonEmptyString(d.mimeType, `${pp}.inlineData.mimeType`);
        if (!mediaType.startsWith('image/')) {
          extras[`content:inlineData:${mediaType}`] = true;
          return;
        }
        push(role === 'model' ? 'assistant' : 'user', { type: 'image', source: { kind: 'base64', mediaType, data: expectString(d.data, `${pp}.inlineData.data`) } });
      } else if (p.fileData !== undefined && p.fileData !== null) {
        const d = expectObject(p.fileData, `${pp}.fileData`);
        const url = expectNonEmptyString(d.fileUri, `${pp}.fileData.fileUri`);
        const mime = typeof d.mimeType === 'string' ? d.mimeType : '';
        if (mime !== '' && !mime.startsWith('image/')) {
          extras[`content:fileData:${mime}`] = true;
          return;
        }
        push(role === 'model' ? 'assistant' : 'user', { type: 'image', source: { kind: 'url', url } });
      } else {
        const kind = Object.keys(p).find((k) => k !== 'thoughtSignature' && k !== 'thought') ?? 'empty';
        extras[`content:${kind}`] = true;
      }
    });
  });
  return out;
}

/** A functionResponse `response` as tool output text: `output` / `content` when a string, else the JSON. */
function toolResultText(response: Obj): string {
  for (const k of ['output', 'content', 'result']) {
    if (typeof response[k] === 'string' && Object.keys(response).length === 1) return response[k] as string;
  }
  if (typeof response.error === 'string' && Object.keys(response).length === 1) return response.error;
  return JSON.stringify(response);
}

function parseGenerationConfig(g: Obj, req: CoreRequest, extras: Record<string, unknown>): void {
  for (const k of Object.keys(g)) if (!KNOWN_GENERATION.has(k)) extras[`generationConfig.${k}`] = g[k];
  const p = 'generationConfig.';
  const temperature = optNumber(g, 'temperature', p, { min: 0, max: 2 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(g, 'topP', p, { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const topK = optNumber(g, 'topK', p, { min: 0, integer: true });
  if (topK !== undefined) req.topK = topK;
  const max = optNumber(g, 'maxOutputTokens', p, { min: 1, integer: true });
  if (max !== undefined) req.maxTokens = max;
  const seed = optNumber(g, 'seed', p, { integer: true });
  if (seed !== undefined) req.seed = seed;
  const presence = optNumber(g, 'presencePenalty', p);
  if (presence !== undefined) req.presencePenalty = presence;
  const frequency = optNumber(g, 'frequencyPenalty', p);
  if (frequency !== undefined) req.frequencyPenalty = frequency;
  const candidates = optNumber(g, 'candidateCount', p, { min: 1, integer: true });
  if (candidates !== undefined && candidates > 1) extras['generationConfig.candidateCount'] = candidates;
  if (g.stopSequences !== undefined && g.stopSequences !== null) {
    req.stop = expectArray(g.stopSequences, `${p}stopSequences`).map((s, i) => expectString(s, `${p}stopSequences[${i}]`));
  }
  const format = responseFormat(g);
  if (format) req.responseFormat = format;
  if (g.thinkingConfig !== undefined && g.thinkingConfig !== null) {
    const reasoning = thinking(expectObject(g.thinkingConfig, `${p}thinkingConfig`));
    if (reasoning) req.reasoning = reasoning;
  }
}

function responseFormat(g: Obj): ResponseFormat | undefined {
  const mime = g.responseMimeType === undefined || g.responseMimeType === null ? undefined : expectString(g.responseMimeType, 'generationConfig.responseMimeType');
  const jsonSchema = g.responseJsonSchema ?? undefined;
  const schema = g.responseSchema ?? undefined;
  if (jsonSchema !== undefined) return { type: 'json-schema', schema: expectObject(jsonSchema, 'generationConfig.responseJsonSchema') };
  if (schema !== undefined) return { type: 'json-schema', schema: geminiSchemaToJsonSchema(expectObject(schema, 'generationConfig.responseSchema')) };
  if (mime === 'application/json') return { type: 'json' };
  if (mime === 'text/plain') return { type: 'text' };
  if (mime !== undefined) throw invalidRequest('generationConfig.responseMimeType', `generationConfig.responseMimeType: expected "application/json" or "text/plain", got "${mime}"`);
  return undefined;
}

function thinking(t: Obj): ReasoningConfig | undefined {
  const p = 'generationConfig.thinkingConfig.';
  const budget = optNumber(t, 'thinkingBudget', p, { min: -1, integer: true });
  optBoolean(t, 'includeThoughts', p);
  if (budget === 0) return { disabled: true };
  if (budget !== undefined && budget > 0) return { budgetTokens: budget };
  if (t.thinkingLevel !== undefined && t.thinkingLevel !== null) {
    const level = expectString(t.thinkingLevel, `${p}thinkingLevel`).toUpperCase();
    const effort = LEVELS[level];
    if (!effort) throw invalidRequest(`${p}thinkingLevel`, `${p}thinkingLevel: expected one of ${Object.keys(LEVELS).join(', ')}, got "${level}"`);
    return { effort };
  }
  return undefined;
}

function parseTools(value: unknown, extras: Record<string, unknown>): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  expectArray(value, 'tools').forEach((t, i) => {
    const tool = expectObject(t, `tools[${i}]`);
    for (const k of Object.keys(tool)) {
      if (k !== 'functionDeclarations') {
        extras[`tools:${k}`] = true;
        continue;
      }
      expectArray(tool.functionDeclarations, `tools[${i}].functionDeclarations`).forEach((d, j) => {
        const p = `tools[${i}].functionDeclarations[${j}]`;
        const decl = expectObject(d, p);
        const def: ToolDefinition = {
          name: expectNonEmptyString(decl.name, `${p}.name`),
          parameters:
            decl.parametersJsonSchema !== undefined && decl.parametersJsonSchema !== null
              ? expectObject(decl.parametersJsonSchema, `${p}.parametersJsonSchema`)
              : decl.parameters !== undefined && decl.parameters !== null
                ? geminiSchemaToJsonSchema(expectObject(decl.parameters, `${p}.parameters`))
                : { type: 'object', properties: {} },
        };
        if (typeof decl.description === 'string' && decl.description.length > 0) def.description = decl.description;
        out.push(def);
      });
    }
  });
  return out;
}

function parseToolConfig(tc: Obj): ToolChoice | undefined {
  if (tc.functionCallingConfig === undefined || tc.functionCallingConfig === null) return undefined;
  const fcc = expectObject(tc.functionCallingConfig, 'toolConfig.functionCallingConfig');
  const p = 'toolConfig.functionCallingConfig.';
  const mode = fcc.mode === undefined || fcc.mode === null ? 'AUTO' : expectString(fcc.mode, `${p}mode`).toUpperCase();
  const allowed = fcc.allowedFunctionNames === undefined || fcc.allowedFunctionNames === null ? [] : expectArray(fcc.allowedFunctionNames, `${p}allowedFunctionNames`).map((n, i) => expectString(n, `${p}allowedFunctionNames[${i}]`));
  switch (mode) {
    case 'AUTO':
    case 'MODE_UNSPECIFIED':
      return { type: 'auto' };
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
    case 'VALIDATED':
      return allowed.length === 1 ? { type: 'tool', name: allowed[0]! } : { type: 'required' };
    default:
      throw invalidRequest(`${p}mode`, `${p}mode: expected AUTO, ANY, NONE or VALIDATED, got ${describe(fcc.mode)} "${mode}"`);
  }
}
