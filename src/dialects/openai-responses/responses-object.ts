/**
 * The pieces of an OpenAI `response` object shared by the whole-response formatter and the stream
 * encoder: ids, the envelope that echoes the request's settings, output items and usage.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayError } from '../../core/errors.js';
import type { CoreRequest, ReasoningPart } from '../../core/request.js';
import type { FinishReason, Usage } from '../../core/response.js';
import { encodeReasoningCarrier } from './reasoning-carrier.js';

/** What the conversation layer (server) tells the formatter about the request's state. */
export interface ConversationInfo {
  /** The stored response this one continues. */
  previousResponseId?: string;
  /** Whether this response will be stored (client `store` and the gateway's `responses.store`). */
  stored?: boolean;
}

/** A fresh id with OpenAI's prefixes: resp_, msg_, fc_, rs_. */
export function newResponsesId(prefix: 'resp' | 'msg' | 'fc' | 'rs'): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

/** The id a canonical response gets: OpenAI's own when it is one, else a fresh one. */
export function responseIdFor(upstreamId: string): string {
  return upstreamId.startsWith('resp_') ? upstreamId : newResponsesId('resp');
}

export function toResponsesUsage(u: Partial<Usage>) {
  const input = u.inputTokens ?? 0;
  const output = u.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}

/** Status and incomplete_details for a finish reason. */
export function statusFor(reason: FinishReason | undefined): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (reason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === 'content-filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Whether the client asked to see reasoning (`reasoning.summary`): then reasoning text is shown as summary text. */
export function wantsSummary(req: CoreRequest): boolean {
  const r = req.raw.reasoning;
  return typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>).summary === 'string';
}

export interface EnvelopeInput {
  request: CoreRequest;
  conversation: ConversationInfo;
  id: string;
  model: string;
  createdAt: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: unknown[];
  usage: Partial<Usage> | undefined;
  incompleteDetails?: { reason: string } | null;
  error?: GatewayError;
}

/** The `response` object, echoing the request's settings as OpenAI does. */
export function responseEnvelope(e: EnvelopeInput): Record<string, unknown> {
  const raw = e.request.raw;
  const pick = (k: string, dflt: unknown) => (raw[k] === undefined ? dflt : raw[k]);
  const reasoning = typeof raw.reasoning === 'object' && raw.reasoning !== null ? (raw.reasoning as Record<string, unknown>) : {};
  const text = typeof raw.text === 'object' && raw.text !== null ? (raw.text as Record<string, unknown>) : {};
  return {
    id: e.id,
    object: 'response',
    created_at: e.createdAt,
    status: e.status,
    background: false,
    error: e.error ? { code: e.error.code, message: e.error.message } : null,
    incomplete_details: e.incompleteDetails ?? null,
    instructions: pick('instructions', null),
    max_output_tokens: pick('max_output_tokens', null),
    max_tool_calls: pick('max_tool_calls', null),
    model: e.model,
    output: e.output,
    parallel_tool_calls: pick('parallel_tool_calls', true),
    previous_response_id: e.conversation.previousResponseId ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    service_tier: pick('service_tier', 'default'),
    store: e.conversation.stored ?? false,
    temperature: pick('temperature', 1),
    text: { format: text.format ?? { type: 'text' }, ...(text.verbosity !== undefined ? { verbosity: text.verbosity } : {}) },
    tool_choice: pick('tool_choice', 'auto'),
    tools: pick('tools', []),
    top_p: pick('top_p', 1),
    truncation: pick('truncation', 'disabled'),
    usage: e.usage === undefined ? null : toResponsesUsage(e.usage),
    user: pick('user', null),
    metadata: pick('metadata', {}),
  };
}

export function messageItem(id: string, status: 'in_progress' | 'completed', texts: string[]): Record<string, unknown> {
  return { id, type: 'message', status, role: 'assistant', content: texts.map(outputTextPart) };
}

export function outputTextPart(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

export function functionCallItem(id: string, status: 'in_progress' | 'completed', call: { id: string; name: string; arguments: string }): Record<string, unknown> {
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.id, name: call.name };
}

/** OpenAI's own reasoning (id and encrypted content as OpenAI sent them), when the part came from OpenAI. */
export function openAIReasoningMeta(meta: Record<string, unknown> | undefined): { id?: string; encrypted_content?: string } | undefined {
  const o = meta?.openai;
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as Record<string, unknown>;
  return { ...(typeof r.id === 'string' ? { id: r.id } : {}), ...(typeof r.encrypted_content === 'string' ? { encrypted_content: r.encrypted_content } : {}) };
}

/** A `reasoning` output item; the summary holds the text when the client asked for a summary. */
export function reasoningItem(id: string, part: ReasoningPart, showSummary: boolean): Record<string, unknown> {
  const openai = openAIReasoningMeta(part.providerMetadata);
  const item: Record<string, unknown> = {
    id: openai?.id ?? id,
    type: 'reasoning',
    summary: showSummary && part.text ? [{ type: 'summary_text', text: part.text }] : [],
  };
  const encrypted = openai?.encrypted_content ?? (openai ? undefined : encodeReasoningCarrier(part));
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}
