/**
 * Gemini thought signatures on function calls must come back with the call in the next turn
 * (Gemini 3 rejects a function call without one). Clients echo tool calls by id only, so the
 * provider remembers each synthesized call id's signature here (bounded, least recently used out)
 * and puts it back; a canonical part that carries `providerMetadata.gemini.thoughtSignature` wins.
 * When neither knows it (another replica answered, or the call came from another provider), Gemini
 * 3 models get the documented placeholder that skips validation.
 */

/** Google's documented value for a function call whose real signature is not available. */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export class ThoughtSignatureCache {
  private readonly map = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  set(id: string, signature: string): void {
    if (this.map.has(id)) this.map.delete(id);
    this.map.set(id, signature);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  get(id: string): string | undefined {
    const v = this.map.get(id);
    if (v !== undefined) {
      this.map.delete(id);
      this.map.set(id, v);
    }
    return v;
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
