/**
 * Prices per million tokens, from the shipped table (prices.json: every entry with the date it was
 * checked and the public page it came from) and the config's `pricing.overrides`. Lookups are
 * memoised per provider and model, so pricing a request is a map hit and a few multiplications.
 */
import shipped from './prices.json' with { type: 'json' };
import type { Usage } from '../core/response.js';

export interface Price {
  /** USD per million uncached input tokens. */
  input: number;
  /** USD per million output tokens (reasoning included). */
  output: number;
  /** USD per million input tokens read from the prompt cache; default: `input`. */
  cachedInput?: number;
  /** USD per million input tokens written to the prompt cache; default: `input`. */
  cacheWrite?: number;
  /** Where the price came from: `config` for overrides, else the shipped table's family. */
  origin: string;
  asOf?: string;
  source?: string;
}

export interface PriceEntry {
  family: string;
  model: string;
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
  as_of: string;
  source: string;
}

/** Override as written in config (`pricing.overrides`). */
export interface PriceOverride {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
}

export interface PriceTableOptions {
  /** Keyed by "provider/model" (provider as named in config) or by a bare model name. */
  overrides?: Record<string, PriceOverride>;
  /** The shipped table by default. */
  entries?: readonly PriceEntry[];
}

export const SHIPPED_PRICES: readonly PriceEntry[] = (shipped as { prices: PriceEntry[] }).prices;

/** Region prefixes of Bedrock cross-region inference profiles (`us.anthropic.claude-...`). */
const PREFIXES = [/^(?:us|eu|apac|ap|global|us-gov|ca|jp|au)\./];
/** Version and date suffixes that do not change the price. Stripped one at a time. */
const SUFFIXES = [/-v\d+(?::\d+)?$/, /:\d+$/, /-\d{4}-\d{2}-\d{2}$/, /-\d{8}$/, /@\d{8}$/, /-latest$/, /-\d{4}$/, /-\d{3}$/];

/** The names a model id may be priced under, most specific first. */
export function modelCandidates(model: string): string[] {
  const out = [model];
  let m = model;
  for (const p of PREFIXES) {
    if (p.test(m)) {
      m = m.replace(p, '');
      out.push(m);
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of SUFFIXES) {
      if (s.test(m)) {
        m = m.replace(s, '');
        out.push(m);
        changed = true;
        break;
      }
    }
  }
  return out;
}

const MEMO_LIMIT = 2000;

export class PriceTable {
  private readonly byFamily = new Map<string, Map<string, Price>>();
  private readonly anyFamily = new Map<string, Price>();
  private readonly overrides = new Map<string, Price>();
  private readonly memo = new Map<string, Map<string, Map<string, Price | null>>>();
  private memoSize = 0;

  constructor(options: PriceTableOptions = {}) {
    for (const e of options.entries ?? SHIPPED_PRICES) {
      const price: Price = { input: e.input, output: e.output, origin: e.family, asOf: e.as_of, source: e.source };
      if (e.cached_input !== undefined) price.cachedInput = e.cached_input;
      if (e.cache_write !== undefined) price.cacheWrite = e.cache_write;
      let fam = this.byFamily.get(e.family);
      if (!fam) this.byFamily.set(e.family, (fam = new Map()));
      fam.set(e.model, price);
      if (!this.anyFamily.has(e.model)) this.anyFamily.set(e.model, price);
    }
    for (const [key, o] of Object.entries(options.overrides ?? {})) {
      const price: Price = { input: o.input, output: o.output, origin: 'config' };
      if (o.cached_input !== undefined) price.cachedInput = o.cached_input;
      if (o.cache_write !== undefined) price.cacheWrite = o.cache_write;
      this.overrides.set(key, price);
    }
  }

  /**
   * The price of `model` at `provider` (its config name) of type `providerType`: a config override
   * ("provider/model", then the model), then the table under the provider's type, then its name,
   * then any family with that model id. Undefined: unpriced.
   */
  lookup(q: { provider: string; providerType: string; model: string }): Price | undefined {
    const { provider, providerType, model } = q;
    // Memoised by provider, then type, then model: three Map hits on strings that already carry
    // their hash (config names, the model a target names), no key string built per call — a
    // request prices its target several times (reservation, spend, settlement).
    let byType = this.memo.get(provider);
    if (!byType) this.memo.set(provider, (byType = new Map()));
    let byModel = byType.get(providerType);
    if (!byModel) byType.set(providerType, (byModel = new Map()));
    const hit = byModel.get(model);
    if (hit !== undefined) return hit ?? undefined;
    const found = this.find(provider, providerType, model);
    if (this.memoSize < MEMO_LIMIT) {
      byModel.set(model, found ?? null);
      this.memoSize++;
    }
    return found;
  }

  private find(provider: string, providerType: string, model: string): Price | undefined {
    const direct = this.overrides.get(`${provider}/${model}`) ?? this.overrides.get(model);
    if (direct) return direct;
    const candidates = modelCandidates(model);
    for (const c of candidates) {
      const o = this.overrides.get(`${provider}/${c}`) ?? this.overrides.get(c);
      if (o) return o;
    }
    for (const family of [this.byFamily.get(providerType), this.byFamily.get(provider), this.anyFamily]) {
      if (!family) continue;
      for (const c of candidates) {
        const p = family.get(c);
        if (p) return p;
      }
    }
    return undefined;
  }
}

/**
 * Cost in USD of one request's usage. Canonical `inputTokens` counts every input token, cache
 * reads and writes included; those are priced at their own rates when the price has them.
 */
export function costOf(price: Price, usage: Usage): number {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const plain = Math.max(0, usage.inputTokens - cached - written);
  const micro =
    plain * price.input + cached * (price.cachedInput ?? price.input) + written * (price.cacheWrite ?? price.input) + usage.outputTokens * price.output;
  return micro / 1_000_000;
}
