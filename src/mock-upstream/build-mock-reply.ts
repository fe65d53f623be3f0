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
  /** Structured output asked for: a JSON object, or JSON matching a schema. */
  responseFormat?: MockResponseFormat;
  /** Stop sequences (OpenAI `stop`, Anthropic `stop_sequences`, ...). */
  stop?: string[];
  /** Thinking / reasoning asked for: the turn carries reasoning text before its answer. */
  thinking?: boolean;
}

export type MockResponseFormat = { kind: 'json' } | { kind: 'json-schema'; schema: unknown };

export type MockTurn =
  | {
      kind: 'text';
      text: string;
      /** True when max_tokens cut the reply short. */
      truncated: boolean;
      /** The stop sequence that ended the reply (the text stops just before it). */
      stopSequence?: string;
      /** Reasoning text before the answer, when thinking was asked for (its words count as output). */
      reasoning?: string;
      inputTokens: number;
      outputTokens: number;
    }
  | {
      kind: 'tool-call';
      /** 1-based number of this call in the conversation: ids are `call_mock_<n>` / `toolu_mock_<n>`. */
      callNumber: number;
      name: string;
      arguments: Record<string, unknown>;
      /** Further calls in the same turn (parallel tool calls), from a `[mock-call: a, b]` directive. */
      more?: Array<{ callNumber: number; name: string; arguments: Record<string, unknown> }>;
      reasoning?: string;
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

/**
 * The deterministic answer. `choice` > 0 (OpenAI `n`) marks the text `[choice <n>] ` so the
 * answers of one request differ. Structured output replaces the text with JSON; a stop sequence
 * ends it just before the sequence; max_tokens cuts it last.
 */
export function buildMockReply(conv: MockConversation, choice = 0): MockTurn {
  let inputTokens = 0;
  for (const t of conv.countedTexts) inputTokens += countWords(t);
  inputTokens = Math.max(1, inputTokens);
  const reasoning = conv.thinking ? `thinking about: ${conv.toolResultText ?? conv.lastUserText}` : undefined;
  const reasoningTokens = reasoning === undefined ? 0 : countWords(reasoning);
  const withReasoning = <T extends MockTurn>(turn: T): T => (reasoning === undefined ? turn : { ...turn, reasoning });

  const [tool, ...others] = pickTools(conv);
  if (tool) {
    const turn: MockTurn = {
      kind: 'tool-call',
      callNumber: conv.priorToolCalls + 1,
      name: tool.name,
      arguments: argumentsFromSchema(tool.schema),
      inputTokens,
      outputTokens: TOOL_CALL_OUTPUT_TOKENS * (1 + others.length) + reasoningTokens,
    };
    if (others.length) turn.more = others.map((t, i) => ({ callNumber: conv.priorToolCalls + 2 + i, name: t.name, arguments: argumentsFromSchema(t.schema) }));
    return withReasoning(turn);
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
  if (choice > 0) text = `[choice ${choice}] ${text}`;
  if (conv.responseFormat?.kind === 'json') text = JSON.stringify({ reply: text });
  else if (conv.responseFormat?.kind === 'json-schema') text = JSON.stringify(instanceFromSchema(conv.responseFormat.schema));
  let stopSequence: string | undefined;
  let at = -1;
  for (const seq of conv.stop ?? []) {
    if (seq === '') continue;
    const i = text.indexOf(seq);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      stopSequence = seq;
    }
  }
  if (at >= 0) text = text.slice(0, at).trimEnd();
  let truncated = false;
  let outputTokens = countWords(text);
  if (conv.maxTokens !== undefined && conv.maxTokens >= 0 && conv.maxTokens < outputTokens) {
    const words = text.split(/\s+/).filter((w) => w !== '');
    text = words.slice(0, conv.maxTokens).join(' ');
    outputTokens = conv.maxTokens;
    truncated = true;
    stopSequence = undefined;
  }
  const turn: MockTurn = { kind: 'text', text, truncated, inputTokens, outputTokens: outputTokens + reasoningTokens };
  if (stopSequence !== undefined) turn.stopSequence = stopSequence;
  return withReasoning(turn);
}

/**
 * A small valid instance of a JSON schema: every property of an object (required or not), the
 * first enum value or the const, the smallest allowed number, `minItems` items, the first
 * alternative of anyOf/oneOf that is not null, allOf merged, local `$ref`s followed. Strings are
 * "mock" (padded to minLength, cut to maxLength); a few formats get a value of their shape.
 */
export function instanceFromSchema(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (depth > 32 || !isRecord(schema)) return depth === 0 ? {} : 'mock';
  if (typeof schema.$ref === 'string') return instanceFromSchema(resolveRef(root, schema.$ref), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.allOf)) {
    const merged: Record<string, unknown> = {};
    for (const part of schema.allOf) {
      const v = instanceFromSchema(part, root, depth + 1);
      if (isRecord(v)) Object.assign(merged, v);
    }
    return merged;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = schema[key];
    if (Array.isArray(alts) && alts.length > 0) {
      const pick = alts.find((a) => !(isRecord(a) && a.type === 'null')) ?? alts[0];
      return instanceFromSchema(pick, root, depth + 1);
    }
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined) type = isRecord(schema.properties) ? 'object' : schema.items !== undefined ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (isRecord(schema.properties)) {
        for (const [key, prop] of Object.entries(schema.properties)) out[key] = instanceFromSchema(prop, root, depth + 1);
      }
      return out;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' && schema.minItems > 0 ? Math.min(schema.minItems, 100) : 1;
      const items = Array.isArray(schema.prefixItems) ? schema.prefixItems : undefined;
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(instanceFromSchema(items?.[i] ?? schema.items, root, depth + 1));
      return out;
    }
    case 'integer':
    case 'number': {
      let n = 1;
      if (typeof schema.minimum === 'number') n = Math.max(n, schema.minimum);
      if (typeof schema.exclusiveMinimum === 'number') n = Math.max(n, schema.exclusiveMinimum + 1);
      if (typeof schema.maximum === 'number') n = Math.min(n, schema.maximum);
      if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum) n = schema.exclusiveMaximum - 1;
      return type === 'integer' ? Math.ceil(n) : n;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      let s = FORMAT_EXAMPLES[String(schema.format)] ?? 'mock';
      if (typeof schema.minLength === 'number' && s.length < schema.minLength) s = s.padEnd(schema.minLength, 'k');
      if (typeof schema.maxLength === 'number' && s.length > schema.maxLength) s = s.slice(0, schema.maxLength);
      return s;
    }
  }
}

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00',
  email: 'mock@example.com',
  uri: 'https://example.com/mock',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/** A local `#/...` JSON pointer into the root schema; anything else resolves to undefined. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((p) => p !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * A tool-call directive in any message text: `[mock-call: a, b]` calls tools a and b in one turn
 * (parallel calls) instead of the first tool; `[mock-call-always: a]` calls a even when the
 * conversation ends with a tool result (a model that keeps calling). tool_choice none wins.
 */
export function mockCallDirective(texts: readonly string[]): { names: string[]; always: boolean } | undefined {
  for (const t of texts) {
    const m = /\[mock-call(-always)?:\s*([^\]]+)\]/.exec(t);
    if (m) return { names: m[2]!.split(',').map((n) => n.trim()).filter((n) => n !== ''), always: m[1] !== undefined };
  }
  return undefined;
}

function pickTools(conv: MockConversation): MockTool[] {
  if (conv.tools.length === 0 || conv.toolChoice === 'none') return [];
  const directive = mockCallDirective(conv.countedTexts);
  if (conv.toolResultText !== undefined && !directive?.always) return [];
  if (conv.toolChoice !== undefined) {
    const forced = conv.toolChoice.name;
    return [conv.tools.find((t) => t.name === forced) ?? { name: forced, schema: undefined }];
  }
  if (directive?.names.length) return directive.names.map((n) => conv.tools.find((t) => t.name === n) ?? { name: n, schema: undefined });
  return [conv.tools[0]!];
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
