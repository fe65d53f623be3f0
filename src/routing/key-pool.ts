/** Weighted choice among a provider's keys that may serve a model, with keys to avoid. */
import type { ProviderKey } from '../providers/provider-adapter.js';

export interface WeightedKey extends ProviderKey {
  weight: number;
  /** Model patterns: "*" any, "prefix*" a prefix, else exact. */
  models: string[];
}

function matches(patterns: string[], model: string): boolean {
  for (const p of patterns) {
    if (p === '*' || p === model) return true;
    if (p.endsWith('*') && model.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

export class KeyPool {
  private readonly byModel = new Map<string, WeightedKey[]>();

  constructor(private readonly keys: WeightedKey[], private readonly random: () => number = Math.random) {}

  get size(): number {
    return this.keys.length;
  }

  /** Keys allowed for a model (memoised per model name, since config is immutable). */
  eligible(model: string): WeightedKey[] {
    let list = this.byModel.get(model);
    if (!list) {
      list = this.keys.filter((k) => matches(k.models, model));
      if (this.byModel.size < 1000) this.byModel.set(model, list);
    }
    return list;
  }

  /** Picks a key by weight, skipping `avoid` unless nothing else is left. Undefined when no key serves the model. */
  pick(model: string, avoid?: ReadonlySet<string>): WeightedKey | undefined {
    const all = this.eligible(model);
    if (all.length === 0) return undefined;
    const candidates = avoid && avoid.size > 0 ? all.filter((k) => !avoid.has(k.id)) : all;
    const list = candidates.length > 0 ? candidates : all;
    if (list.length === 1) return list[0];
    let total = 0;
    for (const k of list) total += k.weight;
    let r = this.random() * total;
    for (const k of list) {
      r -= k.weight;
      if (r < 0) return k;
    }
    return list[list.length - 1];
  }

  /** Whether some eligible key is not in `avoid`. */
  hasOther(model: string, avoid: ReadonlySet<string>): boolean {
    return this.eligible(model).some((k) => !avoid.has(k.id));
  }
}
