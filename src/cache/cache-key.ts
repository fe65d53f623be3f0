/**
 * Cache keys from the canonical request. A key is a SHA-256 over a canonical serialization
 * (object keys sorted, undefined dropped, no whitespace of the client's JSON) of everything that
 * changes the answer — model, system prompt, messages, tools, tool choice, sampling and output
 * parameters, reasoning, fields without a canonical counterpart — plus the resolved route and the
 * namespace. Left out: `stream`, stream options, `user`, metadata, the client's raw body and
 * dialect, cache hints, and every header. So the same question sent as JSON or as a stream, by any
 * SDK, with its fields in any order, lands on the same entry.
 */
import { createHash } from 'node:crypto';
import type { CoreRequest, Message } from '../core/request.js';

/** Bumped when the serialization changes, so old entries are never read with new meaning. */
const KEY_VERSION = 1;

/** Unknown top-level fields that never change the answer (the rest are part of the key). */
const IGNORED_EXTRAS = new Set(['user', 'metadata', 'store', 'stream_options', 'service_tier', 'safety_identifier', 'prompt_cache_key']);

/** JSON with object keys sorted and undefined members dropped: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'null' : JSON.stringify(value);
  // Built by appending, without the intermediate arrays of map/filter/join: this runs on every
  // request of a cached alias, hit or miss.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + canonicalJson(v);
  }
  return out + '}';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A message without what does not change the answer (Anthropic cache_control hints). */
function messageForKey(m: Message): unknown {
  return { ...m, content: m.content.map((p) => (p.type === 'text' && p.cacheControl ? { ...p, cacheControl: undefined } : p)) };
}

/** The answer-changing fields of a request, messages aside. */
function parameters(r: CoreRequest): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.extras ?? {})) if (!IGNORED_EXTRAS.has(k)) extras[k] = v;
  return {
    model: r.model,
    system: r.system.map((p) => p.text),
    tools: r.tools,
    toolChoice: r.toolChoice,
    parallelToolCalls: r.parallelToolCalls,
    responseFormat: r.responseFormat,
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    topP: r.topP,
    topK: r.topK,
    stop: r.stop,
    seed: r.seed,
    presencePenalty: r.presencePenalty,
    frequencyPenalty: r.frequencyPenalty,
    reasoning: r.reasoning,
    extras: Object.keys(extras).length ? extras : undefined,
  };
}

export interface KeyInput {
  request: CoreRequest;
  /** The resolved route: target labels in order ("provider/model"). */
  route: readonly string[];
  namespace: string;
}

/** The exact-cache key: the whole answer-changing request, the route and the namespace. */
export function exactKey(k: KeyInput): string {
  return sha256(canonicalJson({ v: KEY_VERSION, kind: 'exact', ns: k.namespace, route: k.route, params: parameters(k.request), messages: k.request.messages.map(messageForKey) }));
}

/**
 * The text of the last message when it is a user message of text only (what a semantic lookup
 * embeds); undefined otherwise (tool results, images: exact only).
 */
export function lastUserText(r: CoreRequest): string | undefined {
  const last = r.messages[r.messages.length - 1];
  if (!last || last.role !== 'user' || last.content.length === 0) return undefined;
  const texts: string[] = [];
  for (const p of last.content) {
    if (p.type !== 'text') return undefined;
    texts.push(p.text);
  }
  const text = texts.join('\n').trim();
  return text || undefined;
}

/**
 * The semantic context key: everything but the last user message (model, route, system prompt,
 * tools, parameters, earlier turns) and the namespace. Only entries with the same context key are
 * semantic candidates, so a semantic hit never crosses models, tools, prompts or conversations.
 */
export function contextKey(k: KeyInput): string {
  const earlier = k.request.messages.slice(0, -1).map(messageForKey);
  return sha256(canonicalJson({ v: KEY_VERSION, kind: 'context', ns: k.namespace, route: k.route, params: parameters(k.request), earlier }));
}
