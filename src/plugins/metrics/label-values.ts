/**
 * Metric label values come only from config names and enums, never from client input: a model the
 * client made up (`openai/anything`, `fallbacks: [...]`) is labelled "unknown", so no request can
 * create a new time series.
 */
import type { Runtime } from '../../routing/runtime.js';

export const UNKNOWN = 'unknown';

export class LabelValues {
  /** Models named in config per provider: its `models` list and every alias target. */
  private readonly known = new Map<string, Set<string>>();

  constructor(readonly runtime: Runtime) {
    for (const [name, p] of runtime.providers) this.known.set(name, new Set(p.models));
    for (const alias of runtime.aliases.values()) {
      for (const t of alias.targets) this.known.get(t.provider.name)?.add(t.model);
    }
  }

  /** A configured provider name, else "" (nothing answered) or "unknown". */
  provider(name: string | undefined): string {
    if (!name) return '';
    return this.known.has(name) ? name : UNKNOWN;
  }

  /** The model when config names it for this provider, else "unknown" ("" when there is none). */
  model(provider: string | undefined, model: string | undefined): string {
    if (!model) return '';
    return provider && this.known.get(provider)?.has(model) ? model : UNKNOWN;
  }

  /** A team named in config (governance), else "" (no team) or "unknown". */
  team(team: string | undefined): string {
    if (!team) return '';
    return Object.hasOwn(this.runtime.config.teams ?? {}, team) ? team : UNKNOWN;
  }

  alias(alias: string | undefined): string {
    if (!alias) return '';
    return this.runtime.aliases.has(alias) ? alias : UNKNOWN;
  }

  /** "provider/model" with both parts sanitised. */
  target(label: string): string {
    const slash = label.indexOf('/');
    if (slash <= 0) return UNKNOWN;
    const provider = label.slice(0, slash);
    return `${this.provider(provider)}/${this.model(provider, label.slice(slash + 1))}`;
  }

  /** Splits a target label into sanitised provider and model. */
  splitTarget(label: string): { provider: string; model: string } {
    const slash = label.indexOf('/');
    if (slash <= 0) return { provider: UNKNOWN, model: UNKNOWN };
    const provider = label.slice(0, slash);
    return { provider: this.provider(provider), model: this.model(provider, label.slice(slash + 1)) };
  }
}
