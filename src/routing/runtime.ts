/**
 * Config compiled into an immutable runtime snapshot: provider adapters with their key pools,
 * aliases resolved to target lists. The hot path only reads maps built here; a reload compiles a
 * new Runtime against the current one and the gateway swaps it whole.
 *
 * Across a reload, a provider whose effective config is unchanged is carried over as the same
 * ProviderRuntime object (its adapter's connection pool, its key pool's health). A provider's
 * adapter is closed once no runtime that holds it is in use any more: each runtime is released
 * with `closeUnshared(next)` after its last request, and an adapter closes when its last holder is
 * released.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, ProviderConfig } from '../config/schema.js';
import { MAX_MODEL_NAME_LENGTH } from '../core/model-name.js';
import { GatewayError } from '../core/errors.js';
import { LRUCache } from 'lru-cache';
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
  /**
   * Resolves a client-facing model name (alias or provider/model) to its targets. Throws a
   * GatewayError: GW_ERR_INVALID_REQUEST for a name over MAX_MODEL_NAME_LENGTH characters,
   * GW_ERR_UNKNOWN_MODEL for one that is not configured.
   */
  resolve(model: string): Target[];
  /**
   * Releases this runtime once its last request has ended, `next` being the runtime that replaced
   * it: closes the adapters of its providers that `next` did not carry over and that no other
   * runtime still in use holds. Idempotent.
   */
  closeUnshared(next: Runtime): Promise<void>;
  /** Closes every adapter of this runtime, shared or not: for shutdown. */
  close(): Promise<void>;
}

/**
 * How many `provider/model` names a runtime remembers as targets beyond its aliases' (least recently
 * used dropped first): clients may send any model name, and each would otherwise stay forever.
 */
export const MAX_DIRECT_TARGETS = 1024;

/** Bookkeeping of a ProviderRuntime shared between runtimes. */
interface ProviderState {
  /** The effective config it was built from (frozen copy): what a reload compares. */
  config: ProviderConfig;
  /** Runtimes holding it that have not been released. */
  holders: number;
  closed: boolean;
}

const providerStates = new WeakMap<ProviderRuntime, ProviderState>();

export function splitTarget(target: string): { provider: string; model: string } | undefined {
  const slash = target.indexOf('/');
  if (slash <= 0 || slash === target.length - 1) return undefined;
  return { provider: target.slice(0, slash), model: target.slice(slash + 1) };
}

/**
 * Loads the code of the provider types the config uses (see providers/registry.ts), then compiles
 * it: what the gateway runs at startup and on every reload.
 */
export async function loadRuntime(config: Config, previous?: Runtime): Promise<Runtime> {
  await loadProviderTypes(Object.values(config.providers).map((pc) => pc.type));
  return compileRuntime(config, previous);
}

/**
 * Compiles a config whose provider types are loaded (always true of the OpenAI family and
 * anthropic). With `previous`, a provider whose effective config is deep-equal to the previous
 * runtime's provider of the same name is that same ProviderRuntime object; any other is built anew.
 * `previous` is not changed and stays usable.
 */
export function compileRuntime(config: Config, previous?: Runtime): Runtime {
  const frozenConfig = deepFreeze(structuredClone(config));
  const providers = new Map<string, ProviderRuntime>();
  const built: ProviderRuntime[] = [];
  try {
    for (const [name, pc] of Object.entries(frozenConfig.providers)) {
      const prev = previous?.providers.get(name);
      const prevState = prev && providerStates.get(prev);
      if (prev && prevState && !prevState.closed && isDeepStrictEqual(prevState.config, pc)) {
        providers.set(name, prev);
        continue;
      }
      const p = buildProvider(name, pc);
      built.push(p);
      providers.set(name, p);
    }
  } catch (err) {
    // Nothing half-built stays open: close what this compile opened, leave the previous runtime's.
    void Promise.allSettled(built.map((p) => p.adapter.close()));
    throw err;
  }
  for (const p of providers.values()) providerStates.get(p)!.holders++;

  // Targets named by aliases: one object per label (an alias target and the same label sent
  // directly are the same Target), kept for the runtime's life.
  const aliasTargets = new Map<string, Target[]>();
  const aliasTargetFor = (label: string, where: string): Target => {
    const known = aliasTargets.get(label);
    if (known) return known[0]!;
    const parts = splitTarget(label);
    const provider = parts && providers.get(parts.provider);
    if (!parts || !provider) throw new Error(`${where}: "${label}" is not provider/model of a configured provider`);
    const target: Target = Object.freeze({ provider, model: parts.model, label });
    aliasTargets.set(label, Object.freeze([target]) as Target[]);
    return target;
  };

  const aliases = new Map<string, CompiledAlias>();
  for (const [name, ac] of Object.entries(frozenConfig.models)) {
    const targets = ac.targets.map((t, i) => aliasTargetFor(typeof t === 'string' ? t : t.target, `models.${name}.targets[${i}]`));
    const alias: CompiledAlias = { name, targets: Object.freeze(targets) as Target[] };
    if (ac.deadline_ms !== undefined) alias.deadlineMs = ac.deadline_ms;
    if (ac.hedge_after_ms !== undefined) alias.hedgeAfterMs = ac.hedge_after_ms;
    aliases.set(name, Object.freeze(alias));
  }

  // Other `provider/model` names clients send: remembered, least recently used dropped first, so
  // repeated names cost one lookup and new ones cannot grow memory without bound.
  // (lru-cache: evicting from the front of a Map would walk V8's holes of earlier deletions each time.)
  const directTargets = new LRUCache<string, Target[]>({ max: MAX_DIRECT_TARGETS });
  const directTarget = (label: string, provider: ProviderRuntime, model: string): Target[] => {
    const pinned = aliasTargets.get(label);
    if (pinned) return pinned;
    let list = directTargets.get(label);
    if (!list) {
      list = Object.freeze([Object.freeze({ provider, model, label })]) as Target[];
      directTargets.set(label, list);
    }
    return list;
  };

  const configured = (): string => {
    const names = [...aliases.keys(), ...[...providers.keys()].map((p) => `${p}/<model>`)];
    return names.length ? names.join(', ') : 'nothing (add providers and models to the config)';
  };

  let released = false;
  const runtime: Runtime = {
    config: frozenConfig,
    providers: frozenMap(providers),
    aliases: frozenMap(aliases),
    clientKeys: frozenSet(new Set(frozenConfig.server.api_keys)),
    resolve(model: string): Target[] {
      if (model.length > MAX_MODEL_NAME_LENGTH) {
        throw new GatewayError('GW_ERR_INVALID_REQUEST', `model: the name is ${model.length} characters long; the longest accepted is ${MAX_MODEL_NAME_LENGTH}`, { param: 'model' });
      }
      const alias = aliases.get(model);
      if (alias) return alias.targets;
      const parts = splitTarget(model);
      const provider = parts && providers.get(parts.provider);
      if (parts && provider) return directTarget(model, provider, parts.model);
      throw new GatewayError('GW_ERR_UNKNOWN_MODEL', `model "${model}" is not configured; use an alias or provider/model. Configured: ${configured()}`, {
        param: 'model',
      });
    },
    // `next` holds what it carried over until it is released in turn, so counting holders is
    // enough; it also covers a runtime released out of order (an older one still finishing requests
    // keeps its providers open after a newer one has gone).
    async closeUnshared(_next: Runtime) {
      if (released) return;
      released = true;
      const closing: ProviderRuntime[] = [];
      for (const p of providers.values()) {
        const state = providerStates.get(p)!;
        state.holders--;
        if (state.holders <= 0 && !state.closed) {
          state.closed = true;
          closing.push(p);
        }
      }
      await Promise.all(closing.map((p) => p.adapter.close()));
    },
    async close() {
      released = true;
      const closing = [...providers.values()].filter((p) => {
        const state = providerStates.get(p)!;
        state.holders = 0;
        if (state.closed) return false;
        state.closed = true;
        return true;
      });
      await Promise.all(closing.map((p) => p.adapter.close()));
    },
  };
  return Object.freeze(runtime);
}

function buildProvider(name: string, pc: ProviderConfig): ProviderRuntime {
  const adapter = createProvider({ name, config: pc });
  const p: ProviderRuntime = Object.freeze({
    name,
    type: adapter.type,
    adapter,
    keys: new KeyPool(pc.keys.map((k, i) => ({ id: k.id ?? `${name}#${i}`, value: k.value, weight: k.weight, models: k.models }))),
    timeouts: Object.freeze({ connectMs: pc.timeouts.connect_ms, firstByteMs: pc.timeouts.first_byte_ms, idleMs: pc.timeouts.idle_ms }),
    retries: Object.freeze({ max: pc.retries.max, backoffInitialMs: pc.retries.backoff_initial_ms, backoffMaxMs: pc.retries.backoff_max_ms }),
    models: pc.models,
    streamUpstream: pc.stream_upstream,
  });
  providerStates.set(p, { config: pc, holders: 0, closed: false });
  return p;
}

/** Freezes a plain-data value (the loaded config) and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function refuse(what: string): () => never {
  return () => {
    throw new TypeError(`a runtime snapshot is immutable: ${what} cannot be changed; compile a new runtime`);
  };
}

/** The map, its mutators replaced by ones that throw, frozen. Reads stay native Map reads. */
function frozenMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  for (const m of ['set', 'delete', 'clear']) Object.defineProperty(map, m, { value: refuse('this map') });
  return Object.freeze(map);
}

function frozenSet<T>(set: Set<T>): ReadonlySet<T> {
  for (const m of ['add', 'delete', 'clear']) Object.defineProperty(set, m, { value: refuse('this set') });
  return Object.freeze(set);
}
