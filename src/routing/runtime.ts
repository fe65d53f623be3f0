/**
 * Config compiled once into an immutable runtime: provider adapters with their key pools, aliases
 * resolved to target lists. The hot path only reads maps built here; a reload builds a new Runtime
 * and swaps it whole.
 */
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter, Timeouts } from '../providers/provider-adapter.js';
import { createProvider, loadProviderTypes } from '../providers/registry.js';
import { KeyPool } from './key-pool.js';

export interface RetryPolicy {
  max: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface ProviderRuntime {
  name: string;
  type: string;
  adapter: ProviderAdapter;
  keys: KeyPool;
  timeouts: Timeouts;
  retries: RetryPolicy;
  /** Models listed for this provider in /v1/models. */
  models: string[];
  /** Stream from upstream for non-stream requests too (first byte = first token). */
  streamUpstream: boolean;
}

export interface Target {
  provider: ProviderRuntime;
  /** Upstream model id. */
  model: string;
  /** `provider/model`, for headers, logs and metrics. */
  label: string;
}

export interface CompiledAlias {
  name: string;
  targets: Target[];
  deadlineMs?: number;
  hedgeAfterMs?: number;
}

export interface Runtime {
  config: Config;
  providers: ReadonlyMap<string, ProviderRuntime>;
  aliases: ReadonlyMap<string, CompiledAlias>;
  /** Client keys accepted; empty = no client authentication. */
  clientKeys: ReadonlySet<string>;
  /** Resolves a client-facing model name (alias or provider/model) to its targets. */
  resolve(model: string): Target[];
  close(): Promise<void>;
}

export function splitTarget(target: string): { provider: string; model: string } | undefined {
  const slash = target.indexOf('/');
  if (slash <= 0 || slash === target.length - 1) return undefined;
  return { provider: target.slice(0, slash), model: target.slice(slash + 1) };
}

/**
 * Loads the code of the provider types the config uses (see providers/registry.ts), then compiles
 * it: what the gateway runs at startup.
 */
export async function loadRuntime(config: Config): Promise<Runtime> {
  await loadProviderTypes(Object.entries(config.providers).map(([name, pc]) => pc.type ?? name));
  return compileRuntime(config);
}

/** Compiles a config whose provider types are loaded (always true of openai and anthropic). */
export function compileRuntime(config: Config): Runtime {
  const providers = new Map<string, ProviderRuntime>();
  for (const [name, pc] of Object.entries(config.providers)) {
    const adapter = createProvider({ name, config: pc });
    providers.set(name, {
      name,
      type: adapter.type,
      adapter,
      keys: new KeyPool(
        pc.keys.map((k, i) => ({ id: k.id ?? `${name}#${i}`, value: k.value, weight: k.weight, models: k.models })),
      ),
      timeouts: { connectMs: pc.timeouts.connect_ms, firstByteMs: pc.timeouts.first_byte_ms, idleMs: pc.timeouts.idle_ms },
      retries: { max: pc.retries.max, backoffInitialMs: pc.retries.backoff_initial_ms, backoffMaxMs: pc.retries.backoff_max_ms },
      models: pc.models,
      streamUpstream: pc.stream_upstream,
    });
  }

  const directTargets = new Map<string, Target>();
  const targetFor = (label: string, where: string): Target => {
    let t = directTargets.get(label);
    if (t) return t;
    const parts = splitTarget(label);
    const provider = parts && providers.get(parts.provider);
    if (!parts || !provider) throw new Error(`${where}: "${label}" is not provider/model of a configured provider`);
    t = { provider, model: parts.model, label };
    directTargets.set(label, t);
    return t;
  };

  const aliases = new Map<string, CompiledAlias>();
  for (const [name, ac] of Object.entries(config.models)) {
    const targets = ac.targets.map((t, i) => targetFor(typeof t === 'string' ? t : t.target, `models.${name}.targets[${i}]`));
    const alias: CompiledAlias = { name, targets };
    if (ac.deadline_ms !== undefined) alias.deadlineMs = ac.deadline_ms;
    if (ac.hedge_after_ms !== undefined) alias.hedgeAfterMs = ac.hedge_after_ms;
    aliases.set(name, alias);
  }

  const configured = (): string => {
    const names = [...aliases.keys(), ...[...providers.keys()].map((p) => `${p}/<model>`)];
    return names.length ? names.join(', ') : 'nothing (add providers and models to the config)';
  };

  return {
    config,
    providers,
    aliases,
    clientKeys: new Set(config.server.api_keys),
    resolve(model: string): Target[] {
      const alias = aliases.get(model);
      if (alias) return alias.targets;
      const parts = splitTarget(model);
      if (parts && providers.has(parts.provider)) return [targetFor(model, 'model')];
      throw new GatewayError('GW_ERR_UNKNOWN_MODEL', `model "${model}" is not configured; use an alias or provider/model. Configured: ${configured()}`, {
        param: 'model',
      });
    },
    async close() {
      await Promise.all([...providers.values()].map((p) => p.adapter.close()));
    },
  };
}
