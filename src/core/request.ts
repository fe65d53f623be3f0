/**
 * The canonical request: what every client dialect parses into and every provider converts from.
 * Shapes are neutral (no provider's wire format); anything a dialect cannot map is kept in `extras`.
 */
import type { DialectId } from './dialect.js';

export type ImageSource =
  | { kind: 'url'; url: string }
  | { kind: 'base64'; mediaType: string; data: string };

export interface TextPart {
  type: 'text';
  text: string;
  /** Provider-neutral cache hint (Anthropic `cache_control`); carried when a target supports it. */
  cacheControl?: Record<string, unknown>;
  /** Opaque per-provider data that must travel back with this part, keyed by provider type (e.g. Gemini `thoughtSignature`). */
  providerMetadata?: Record<string, unknown>;
}
export interface ImagePart {
  type: 'image';
  source: ImageSource;
  /** OpenAI `detail` ("low" | "high" | "auto"). */
  detail?: string;
}
export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  /** Arguments as JSON text, exactly as produced by the model (may be partial in streams). */
  arguments: string;
  /** Opaque per-provider data that must travel back with this call, keyed by provider type (e.g. Gemini `thoughtSignature`). */
  providerMetadata?: Record<string, unknown>;
}
export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  /** Tool output: plain text, or text/image parts. */
  content: string | Array<TextPart | ImagePart>;
  isError?: boolean;
}
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  /** Opaque signature that must travel back to the same provider family (Anthropic thinking). */
  signature?: string;
  /** Redacted/encrypted reasoning that can only be returned verbatim. */
  redactedData?: string;
  /** Opaque per-provider data that must travel back with this part, keyed by provider type (e.g. Gemini `thoughtSignature`). */
  providerMetadata?: Record<string, unknown>;
}

export type ContentPart = TextPart | ImagePart | ToolCallPart | ToolResultPart | ReasoningPart;

export type Role = 'user' | 'assistant' | 'tool';

export interface Message {
  role: Role;
  content: ContentPart[];
  /** OpenAI `name` on a message; carried when the target has a counterpart. */
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json' }
  | { type: 'json-schema'; name?: string; description?: string; schema: Record<string, unknown>; strict?: boolean };

export interface ReasoningConfig {
  /** OpenAI-style effort. */
  effort?: 'minimal' | 'low' | 'medium' | 'high' | string;
  /** Anthropic-style budget of thinking tokens. */
  budgetTokens?: number;
  /** Explicitly disabled. */
  disabled?: boolean;
}

export interface CoreRequest {
  /** Model as the client addressed it (alias or provider/model). */
  model: string;
  /** System instructions, in order. */
  system: TextPart[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  user?: string;
  reasoning?: ReasoningConfig;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: whether the client wants a usage chunk. */
  streamUsage?: boolean;
  /** Client-facing metadata (Anthropic `metadata`, OpenAI `metadata`). */
  metadata?: Record<string, unknown>;
  /** Fallback targets the client asked for in the body (`fallbacks`), removed before going upstream. */
  fallbacks?: string[];
  /**
   * The client's body as parsed, without gateway-only fields. A provider that speaks the client's
   * dialect forwards it as is (model replaced), so unknown fields and values pass untouched.
   */
  raw: Record<string, unknown>;
  /** The dialect the client spoke. */
  dialect: DialectId;
  /**
   * Fields of the client's body with no canonical counterpart, by name (a top-level field, or
   * `content:<block type>` for content blocks the model cannot hold). Carried to same-dialect
   * targets only; for others they are reported as unmapped (x-switchyard-unmapped header, log).
   */
  extras: Record<string, unknown>;
  /**
   * Set when a pipeline middleware changed the request after parsing: `raw` no longer describes it,
   * so no provider may forward `raw` (same-dialect passthrough is off). Use `forwardsRaw`.
   */
  rewritten?: boolean;
  /** Dialect headers a native provider forwards (e.g. anthropic-beta), lower-case names. */
  forwardHeaders?: Record<string, string>;
}

/** Whether a provider speaking `dialect` natively may forward the client's own body (`raw`). */
export function forwardsRaw(req: CoreRequest, dialect: DialectId): boolean {
  return req.dialect === dialect && req.rewritten !== true;
}
