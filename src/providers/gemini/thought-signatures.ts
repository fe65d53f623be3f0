/**
 * Gemini thought signatures on function calls must come back with the call in the next turn
 * (Gemini 3 rejects a function call without one). Clients echo tool calls by id only, so the
 * provider remembers each synthesized call id's signature here (bounded, least recently used out)
 * and puts it back; a canonical part that carries `providerMetadata.gemini.thoughtSignature` wins.
 * When neither knows it (another replica answered, or the call came from another provider), Gemini
 * 3 models get the documented placeholder that skips validation.
 */

import { LRUCache } from 'lru-cache';

/** Google's documented value for a function call whose real signature is not available. */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export class ThoughtSignatureCache {
  // lru-cache rather than a Map with evictions from the front: V8 leaves a hole for each deleted
  // Map entry, and a fresh iterator walks all of those at the front again on every eviction.
  private readonly map: LRUCache<string, string>;

  constructor(capacity = 10_000) {
    this.map = new LRUCache<string, string>({ max: capacity });
  }

  set(id: string, signature: string): void {
    this.map.set(id, signature);
  }

  get(id: string): string | undefined {
    return this.map.get(id);
  }

  get size(): number {
    return this.map.size;
  }
}

/** The signature a canonical part carries for Gemini, if any. */
export function geminiSignatureOf(providerMetadata: Record<string, unknown> | undefined): string | undefined {
  const g = providerMetadata?.gemini as { thoughtSignature?: unknown } | undefined;
  return typeof g?.thoughtSignature === 'string' ? g.thoughtSignature : undefined;
}

export function geminiMetadata(signature: string): Record<string, unknown> {
  return { gemini: { thoughtSignature: signature } };
}

/** Gemini 3 and later validate function-call signatures strictly. */
export function requiresThoughtSignatures(model: string): boolean {
  const m = /gemini-(\d+)/.exec(model);
  return m !== null && Number(m[1]) >= 3;
}
