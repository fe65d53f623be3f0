/**
 * Cache keys from the canonical request. A key is a SHA-256 over a canonical serialization
 * (object keys sorted, undefined dropped, no whitespace of the client's JSON) of everything that
 * changes the answer — model, system prompt, messages, tools, tool choice, sampling and output
 * parameters, reasoning, fields without a canonical counterpart — plus the resolved route and the
 * namespace. Left out: `stream`, stream options, `user`, metadata, the client's raw body and
 * dialect, cache hints, and every header. So the same question sent as JSON or as a stream, by any
 * SDK, with its fields in any order, lands on the same entry.
 */
import { hash } from 'node:crypto';
import type { CoreRequest, Message } from '../core/request.js';

/** Bumped when the serialization changes, so old entries are never read with new meaning. */
const KEY_VERSION = 3;

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
  return objectJson(value as Record<string, unknown>, undefined);
}

/** An object's canonical JSON, leaving out one key (a cache hint) when `skip` names it. */
function objectJson(obj: Record<string, unknown>, skip: string | undefined): string {
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || k === skip) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + canonicalJson(v);
  }
  return out + '}';
}

function sha256(text: string): string {
  // One-shot hash (Node 20.12+): no Hash object per key. base64url: 43 characters where hex takes
  // 64, so each store lookup hashes and compares a shorter string.
  return hash('sha256', text, 'base64url');
}

/**
 * One message, canonical, without what does not change the answer (Anthropic cache_control hints
 * on text parts). The message and its parts go through the sorted serialization: dialect parsers
 * build them with their fields in different orders.
 */
function messageJson(m: Message): string {
  const quick = plainMessageJson(m);
  if (quick !== undefined) return quick;
  const keys = Object.keys(m).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = (m as unknown as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':';
    if (k !== 'content') {
      out += canonicalJson(v);
      continue;
    }
    out += '[';
    for (let j = 0; j < m.content.length; j++) {
      const p = m.content[j]!;
      if (j > 0) out += ',';
      out += objectJson(p as unknown as Record<string, unknown>, p.type === 'text' ? 'cacheControl' : undefined);
    }
    out += ']';
  }
  return out + '}';
}

/** Own enumerable keys of `o`, counted without the array Object.keys would make. */
function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/**
 * The canonical JSON of the commonest message — a role and text parts that carry nothing but their
 * text (and cache hints) — written straight in sorted key order; undefined for any other shape,
 * which the general path serializes. Both write the same text for the same message (a test holds
 * them together), so which path ran never changes a key.
 */
function plainMessageJson(m: Message): string | undefined {
  if (keyCount(m) !== (m.name === undefined ? 2 : 3) || typeof m.role !== 'string' || !Array.isArray(m.content)) return undefined;
  let out = '{"content":[';
  for (let j = 0; j < m.content.length; j++) {
    const p = m.content[j]!;
    if (p.type !== 'text' || typeof p.text !== 'string' || keyCount(p) !== (p.cacheControl === undefined ? 2 : 3)) return undefined;
    out += (j > 0 ? ',{"text":' : '{"text":') + JSON.stringify(p.text) + ',"type":"text"}';
  }
  out += m.name === undefined ? '],"role":' : `],"name":${JSON.stringify(m.name)},"role":`;
  return out + JSON.stringify(m.role) + '}';
}

/**
 * The answer-changing fields of a request besides model, system prompt and messages, in the fixed
 * order the key writes them (the gateway's own field names, so a fixed order is canonical;
 * client-shaped values inside them, such as tool schemas, are serialized sorted).
 */
const PARAMETERS = ['tools', 'toolChoice', 'parallelToolCalls', 'responseFormat', 'maxTokens', 'temperature', 'topP', 'topK', 'stop', 'seed', 'presencePenalty', 'frequencyPenalty', 'reasoning'] as const satisfies ReadonlyArray<keyof CoreRequest>;

/** The answer-changing fields of a request, messages aside. */
function parametersJson(r: CoreRequest): string {
  let out = `{"model":${JSON.stringify(r.model)},"system":[`;
  for (let i = 0; i < r.system.length; i++) out += (i > 0 ? ',' : '') + JSON.stringify(r.system[i]!.text);
  out += ']';
  for (const name of PARAMETERS) {
    const v = r[name];
    if (v !== undefined) out += `,"${name}":${canonicalJson(v)}`;
  }
  let extras: Record<string, unknown> | undefined;
  for (const k in r.extras) {
    if (IGNORED_EXTRAS.has(k) || r.extras[k] === undefined) continue;
    (extras ??= {})[k] = r.extras[k];
  }
  if (extras) out += `,"extras":${canonicalJson(extras)}`;
  return out + '}';
}

export interface KeyInput {
  request: CoreRequest;
  /** The resolved route: target labels in order ("provider/model"). */
  route: readonly string[];
  namespace: string;
}

export interface CacheKeys {
  /** The exact-cache key: the whole answer-changing request, the route and the namespace. */
  exact: string;
  /**
   * The semantic context key (when asked for): everything but the last message — model, route,
   * system prompt, tools, parameters, earlier turns — and the namespace. Only entries with the same
   * context key are semantic candidates, so a semantic hit never crosses models, tools, prompts or
   * conversations.
   */
  context?: string;
}

/**
 * A request's cache keys. Both start from the same serialization of the namespace, route and
 * parameters, and the context key's earlier turns are the exact key's messages but the last, so a
 * semantic request serializes each part once.
 */
export function cacheKeys(k: KeyInput, withContext: boolean): CacheKeys {
  const head = `{"v":${KEY_VERSION},"ns":${JSON.stringify(k.namespace)},"route":${canonicalJson(k.route)},"params":${parametersJson(k.request)}`;
  const messages = k.request.messages;
  let earlier = '';
  for (let i = 0; i < messages.length - 1; i++) earlier += (i > 0 ? ',' : '') + messageJson(messages[i]!);
  const last = messages.length > 0 ? (messages.length > 1 ? ',' : '') + messageJson(messages[messages.length - 1]!) : '';
  const exact = sha256(`${head},"kind":"exact","messages":[${earlier}${last}]}`);
  return withContext ? { exact, context: sha256(`${head},"kind":"context","earlier":[${earlier}]}`) } : { exact };
}

/** The exact-cache key alone (see CacheKeys). */
export function exactKey(k: KeyInput): string {
  return cacheKeys(k, false).exact;
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

/** The semantic context key alone (see CacheKeys). */
export function contextKey(k: KeyInput): string {
  return cacheKeys(k, true).context!;
}
