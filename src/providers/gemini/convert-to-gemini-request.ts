/**
 * Canonical request → Gemini `generateContent` body: `contents` (user / model turns of parts),
 * `systemInstruction`, `generationConfig`, `tools[].functionDeclarations` and `toolConfig`.
 * Gemini has no tool-call ids: a tool result is matched to its call by the call's name, found by
 * id earlier in the conversation. Function calls get their thought signature back (see
 * thought-signatures.ts).
 */
import { GatewayError } from '../../core/errors.js';
import type { ContentPart, CoreRequest, ImagePart, Message, ToolResultPart } from '../../core/request.js';
import { convertJsonSchemaToGemini, convertToolParametersToGemini } from './convert-json-schema-to-gemini.js';
import { geminiSignatureOf, requiresThoughtSignatures, SKIP_THOUGHT_SIGNATURE } from './thought-signatures.js';

export interface ConvertedGeminiRequest {
  body: Record<string, unknown>;
  unmapped: string[];
}

export interface GeminiConvertOptions {
  model: string;
  /** Signatures remembered for call ids this provider synthesized. */
  signatureFor?: (toolCallId: string) => string | undefined;
}

type Part = Record<string, unknown>;
interface GeminiContent {
  role: 'user' | 'model';
  parts: Part[];
}

const EFFORT_BUDGETS: Readonly<Record<string, number>> = { minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 32768 };

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

export function convertToGeminiRequest(req: CoreRequest, options: GeminiConvertOptions): ConvertedGeminiRequest {
  const unmapped = new Set<string>(Object.keys(req.extras));
  const body: Record<string, unknown> = {};

  const systemText = req.system.map((p) => p.text).filter((t) => t.length > 0);
  if (systemText.length > 0) body.systemInstruction = { parts: systemText.map((text) => ({ text })) };
  body.contents = convertMessages(req.messages, options, unmapped);

  const gen: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gen.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gen.temperature = req.temperature;
  if (req.topP !== undefined) gen.topP = req.topP;
  if (req.topK !== undefined) gen.topK = req.topK;
  if (req.stop?.length) gen.stopSequences = req.stop;
  if (req.seed !== undefined) gen.seed = req.seed;
  if (req.presencePenalty !== undefined) gen.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) gen.frequencyPenalty = req.frequencyPenalty;
  const rf = req.responseFormat;
  if (rf?.type === 'json') gen.responseMimeType = 'application/json';
  else if (rf?.type === 'json-schema') {
    gen.responseMimeType = 'application/json';
    const schema = convertJsonSchemaToGemini(rf.schema);
    if (schema) gen.responseSchema = schema;
  }
  const thinking = thinkingConfig(req, unmapped);
  if (thinking) gen.thinkingConfig = thinking;
  if (Object.keys(gen).length > 0) body.generationConfig = gen;

  if (req.tools?.length) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => {
          const decl: Record<string, unknown> = { name: t.name };
          if (t.description !== undefined && t.description.length > 0) decl.description = t.description;
          const params = convertToolParametersToGemini(t.parameters);
          if (params) decl.parameters = params;
          return decl;
        }),
      },
    ];
    const choice = req.toolChoice;
    if (choice) {
      const config: Record<string, unknown> =
        choice.type === 'auto'
          ? { mode: 'AUTO' }
          : choice.type === 'none'
            ? { mode: 'NONE' }
            : choice.type === 'required'
              ? { mode: 'ANY' }
              : { mode: 'ANY', allowedFunctionNames: [choice.name] };
      body.toolConfig = { functionCallingConfig: config };
    }
  }
  if (req.parallelToolCalls !== undefined) unmapped.add('parallel_tool_calls');
  if (req.user !== undefined) unmapped.add('user');
  if (req.metadata !== undefined) unmapped.add('metadata');
  return { body, unmapped: [...unmapped] };
}

function thinkingConfig(req: CoreRequest, unmapped: Set<string>): Record<string, unknown> | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.disabled) return { thinkingBudget: 0 };
  if (r.budgetTokens !== undefined) return { thinkingBudget: r.budgetTokens, includeThoughts: true };
  if (r.effort !== undefined) {
    if (r.effort === 'none') return { thinkingBudget: 0 };
    const budget = EFFORT_BUDGETS[r.effort];
    if (budget === undefined) {
      unmapped.add('reasoning_effort');
      return undefined;
    }
    return { thinkingBudget: budget, includeThoughts: true };
  }
  return undefined;
}

function imagePart(part: ImagePart, unmapped: Set<string>): Part {
  if (part.detail !== undefined) unmapped.add('detail');
  if (part.source.kind === 'base64') return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(part.source.url)?.[1]?.toLowerCase();
  const mimeType = (ext && IMAGE_TYPES[ext]) ?? 'image/jpeg';
  return { fileData: { mimeType, fileUri: part.source.url } };
}

function toolArgs(args: string, id: string, name: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new GatewayError('GW_ERR_INVALID_REQUEST', `messages: the arguments of tool call "${id}" (${name}) are not a JSON object; Gemini needs one`, {
    param: 'messages',
  });
}

/** A tool result as Gemini's functionResponse `response` object. */
function toolResponse(part: ToolResultPart, unmapped: Set<string>): Record<string, unknown> {
  let text: string;
  if (typeof part.content === 'string') text = part.content;
  else {
    if (part.content.some((p) => p.type === 'image')) unmapped.add('tool_result.image');
    text = part.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  }
  return part.isError ? { error: text } : { content: text };
}

interface TurnState {
  options: GeminiConvertOptions;
  unmapped: Set<string>;
  /** Tool call id → function name, from the conversation so far. */
  names: Map<string, string>;
  /** Whether the current model turn already has a function call (only the first needs a signature). */
  signedCall: boolean;
}

function convertPart(part: ContentPart, state: TurnState): Part | undefined {
  switch (part.type) {
    case 'text': {
      if (part.text.length === 0) return undefined;
      const sig = geminiSignatureOf(part.providerMetadata);
      return sig ? { text: part.text, thoughtSignature: sig } : { text: part.text };
    }
    case 'image':
      return imagePart(part, state.unmapped);
    case 'tool-call': {
      state.names.set(part.id, part.name);
      const p: Part = { functionCall: { name: part.name, args: toolArgs(part.arguments, part.id, part.name) } };
      let sig = geminiSignatureOf(part.providerMetadata) ?? state.options.signatureFor?.(part.id);
      if (sig === undefined && !state.signedCall && requiresThoughtSignatures(state.options.model)) sig = SKIP_THOUGHT_SIGNATURE;
      if (sig !== undefined) p.thoughtSignature = sig;
      state.signedCall = true;
      return p;
    }
    case 'tool-result': {
      const name = state.names.get(part.toolCallId) ?? part.toolCallId;
      return { functionResponse: { name, response: toolResponse(part, state.unmapped) } };
    }
    case 'reasoning': {
      const sig = geminiSignatureOf(part.providerMetadata);
      if (sig !== undefined && part.text.length > 0) return { text: part.text, thought: true, thoughtSignature: sig };
      // Reasoning from another provider family (or unsigned): Gemini does not take thoughts back.
      if (part.text.length > 0 || part.redactedData !== undefined) state.unmapped.add('reasoning');
      return undefined;
    }
  }
}

/** Canonical messages → Gemini contents: tool results are user turns; same-role turns merge. */
function convertMessages(messages: Message[], options: GeminiConvertOptions, unmapped: Set<string>): GeminiContent[] {
  const out: GeminiContent[] = [];
  const state: TurnState = { options, unmapped, names: new Map(), signedCall: false };
  for (const m of messages) {
    if (m.name !== undefined) unmapped.add('name');
    const role = m.role === 'assistant' ? 'model' : 'user';
    if (role === 'model') state.signedCall = false;
    const parts: Part[] = [];
    for (const part of m.content) {
      const p = convertPart(part, state);
      if (p) parts.push(p);
    }
    if (parts.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  }
  return out;
}
