/**
 * The provider-neutral part of the mock upstream: given a conversation reduced to the few facts the
 * deterministic rules need, decide the answer (text or one tool call) and the token counts.
 * Each wire module (OpenAI chat, Anthropic messages) reduces its own request to a `MockConversation`
 * and formats the resulting `MockTurn` in its own shape. The rules are documented at the top of
 * mock-upstream.ts.
 */

export interface MockTool {
  name: string;
  /** The tool's JSON schema for its arguments (OpenAI `parameters`, Anthropic `input_schema`). */
  schema: unknown;
}

export interface MockConversation {
  /** All system text (OpenAI system/developer messages, Anthropic `system`), joined by a space. */
  systemText: string | undefined;
  /** Every piece of message text (system included) that counts towards input tokens. */
  countedTexts: string[];
  /** Text of the last user message (text parts joined by a space). */
  lastUserText: string;
  /** Image parts in the last user message. */
  lastUserImages: number;
  /** Text of the last tool result when the conversation ends with one, else undefined. */
  toolResultText: string | undefined;
  tools: MockTool[];
  /** 'none' = never call a tool; a tool name = call that tool; undefined = call the first tool. */
  toolChoice: 'none' | { name: string } | undefined;
  maxTokens: number | undefined;
  /** Tool calls already made by the assistant in the conversation (names the next call id). */
  priorToolCalls: number;
}

export type MockTurn =
  | {
      kind: 'text';
      text: string;
      /** True when max_tokens cut the reply short. */
      truncated: boolean;
      inputTokens: number;
      outputTokens: number;
    }
  | {
      kind: 'tool-call';
      /** 1-based number of this call in the conversation: ids are `call_mock_<n>` / `toolu_mock_<n>`. */
      callNumber: number;
      name: string;
      arguments: Record<string, unknown>;
      inputTokens: number;
      outputTokens: number;
    };

/** Output tokens reported for a tool call turn. */
export const TOOL_CALL_OUTPUT_TOKENS = 10;
const SYSTEM_PREFIX_CHARS = 40;

export function countWords(text: string): number {
  let n = 0;
  for (const w of text.split(/\s+/)) if (w !== '') n++;
  return n;
}

/** One placeholder value per property of an object schema, chosen by the property's type. */
export function argumentsFromSchema(schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(schema) || !isRecord(schema.properties)) return out;
  for (const [key, prop] of Object.entries(schema.properties)) out[key] = placeholderFor(prop);
  return out;
}

function placeholderFor(prop: unknown): unknown {
  if (!isRecord(prop)) return 'mock';
  let type = prop.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  switch (type) {
    case 'string':
      return 'mock';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'null':
      return null;
    default:
      return 'mock';
  }
}

export function buildMockReply(conv: MockConversation): MockTurn {
  let inputTokens = 0;
  for (const t of conv.countedTexts) inputTokens += countWords(t);
  inputTokens = Math.max(1, inputTokens);

  const tool = pickTool(conv);
  if (tool) {
    return {
      kind: 'tool-call',
      callNumber: conv.priorToolCalls + 1,
      name: tool.name,
      arguments: argumentsFromSchema(tool.schema),
      inputTokens,
      outputTokens: TOOL_CALL_OUTPUT_TOKENS,
    };
  }

  let text: string;
  if (conv.toolResultText !== undefined) {
    text = `tool result was: ${conv.toolResultText}`;
  } else {
    text = `mock reply to: ${conv.lastUserText}`;
    if (conv.lastUserImages > 0) text += ` [images: ${conv.lastUserImages}]`;
  }
  if (conv.systemText !== undefined) {
    text = `[system: ${conv.systemText.slice(0, SYSTEM_PREFIX_CHARS)}] ${text}`;
  }
  let truncated = false;
  let outputTokens = countWords(text);
  if (conv.maxTokens !== undefined && conv.maxTokens >= 0 && conv.maxTokens < outputTokens) {
    const words = text.split(/\s+/).filter((w) => w !== '');
    text = words.slice(0, conv.maxTokens).join(' ');
    outputTokens = conv.maxTokens;
    truncated = true;
  }
  return { kind: 'text', text, truncated, inputTokens, outputTokens };
}

function pickTool(conv: MockConversation): MockTool | undefined {
  if (conv.tools.length === 0 || conv.toolResultText !== undefined || conv.toolChoice === 'none') return undefined;
  if (conv.toolChoice !== undefined) {
    const forced = conv.toolChoice.name;
    return conv.tools.find((t) => t.name === forced) ?? { name: forced, schema: undefined };
  }
  return conv.tools[0];
}

/** Splits text into stream pieces: each word with the whitespace before it (trailing space kept). */
export function splitForStreaming(text: string): string[] {
  const pieces: string[] = text.match(/\s*\S+/g) ?? [];
  const covered = pieces.reduce((n, p) => n + p.length, 0);
  if (covered < text.length) {
    const rest = text.slice(covered);
    if (pieces.length > 0) pieces[pieces.length - 1] += rest;
    else pieces.push(rest);
  }
  return pieces;
}

/** Splits a JSON string into at least two pieces (three when long enough) for argument streaming. */
export function splitJsonForStreaming(json: string): string[] {
  if (json.length < 2) return [json, ''];
  const parts = json.length >= 6 ? 3 : 2;
  const size = Math.ceil(json.length / parts);
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

export function isRecord(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
