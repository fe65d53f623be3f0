/**
 * The response cache as pipeline middleware (after governance, before routing), for chat requests:
 *   1. exact lookup: SHA-256 of the canonical request + route + namespace (cache-key.ts);
 *   2. semantic lookup (when on for the alias, the conversation is short and ends with a user
 *      text message): embed that message through the gateway's own routing, then the nearest
 *      entry with the same context key at or above the threshold;
 *   3. a miss goes upstream; its answer is stored whole (a stream: once it finished cleanly —
 *      never a truncated, failed or cancelled one), in canonical form, so any dialect, JSON or
 *      stream, can be answered from it; unless cache.admission holds it back until its request is
 *      seen a second time (admission.ts), in which case nothing of the answer is kept or copied.
 * Every cache failure (store down, embedding failed or slow, index error) is a miss: the request
 * goes upstream as if there were no cache. A hit has no route, so it costs 0 in spend and budgets;
 * the record carries `cache` ('hit' | 'semantic-hit' | 'miss' | 'bypass') and the cost saved.
 */
import { ResponseAssembler } from '../core/assemble-response.js';
import { GatewayError } from '../core/errors.js';
import type { CoreResponse } from '../core/response.js';
import type { GatewayServices, MiddlewareFactory } from '../pipeline/feature.js';
import { serverKeyId } from '../governance/governance-policy.js';
import { sha256Hex } from '../governance/sha256-hex.js';
import type { ChatMiddleware } from '../pipeline/compose.js';
import { forChat } from '../pipeline/compose.js';
import type { ChatContext } from '../pipeline/context.js';
import { stateKey } from '../pipeline/context.js';
import { responseToEvents, streamFromEvents, tapStream } from '../pipeline/event-stream.js';
import type { StreamEnd, StreamTap } from '../pipeline/event-stream.js';
import { RECORD_EXTRAS } from '../pipeline/record-extras.js';
import type { ChatResult, RouteInfo } from '../pipeline/result.js';
import { targetsFor } from '../pipeline/route-step.js';
import { SPEND_METER } from '../pipeline/spend-meter.js';
import { costOf, PriceTable } from '../pricing/price-table.js';
import type { Runtime } from '../routing/runtime.js';
import { cacheKeys, lastUserText } from './cache-key.js';
import { semanticInUse } from './semantic-in-use.js';
import type { CacheConfig, CacheNamespaceMode } from './cache-schema.js';
import type { CacheService, IndexHandle } from './cache-service.js';
import { decodeAnswer, encodeAnswer } from './cache-store.js';
import type { CachedAnswer, CacheStore } from './cache-store.js';

/** What the cache did for a request (also the x-switchyard-cache response header). */
export type CacheOutcome = 'hit' | 'semantic-hit' | 'miss' | 'bypass';

/**
 * Set on a request answered from the cache: the answer has no route and costs nothing; governance
 * settles such a request's reservation to 0 (tokens and USD).
 */
export const CACHE_HIT = stateKey<{ outcome: 'hit' | 'semantic-hit' }>('cache-hit');

/** The cache settings that apply to one model name on one snapshot. */
interface Effective {
  ttlMs: number;
  semantic: boolean;
  threshold: number;
}

/** note()'s default: no similarity, no saving (a miss or a bypass). */
const NO_EXTRA: { similarity?: number; savedUsd?: number } = Object.freeze({});

type Control = 'default' | 'no-cache' | 'no-store' | 'refresh';

function header(ctx: ChatContext, name: string): string | undefined {
  const h = ctx.headers[name];
  return typeof h === 'string' ? h.trim() : Array.isArray(h) ? h[0]?.trim() : undefined;
}

function control(ctx: ChatContext): Control {
  const h = header(ctx, 'x-switchyard-cache');
  if (h === undefined || h === '') return 'default';
  const v = h.toLowerCase();
  if (v === 'no-cache' || v === 'no-store' || v === 'refresh') return v;
  throw new GatewayError('GW_ERR_INVALID_REQUEST', `x-switchyard-cache: expected no-cache, no-store or refresh, got "${h.slice(0, 64)}"`, { param: 'x-switchyard-cache' });
}

function ttlOverride(ctx: ChatContext, ttlMs: number): number {
  const h = header(ctx, 'x-switchyard-cache-ttl');
  if (h === undefined) return ttlMs;
  const n = Number(h);
  if (!/^\d+$/.test(h) || !Number.isSafeInteger(n)) {
    throw new GatewayError('GW_ERR_INVALID_REQUEST', `x-switchyard-cache-ttl: expected a whole number of seconds, got "${h.slice(0, 64)}"`, { param: 'x-switchyard-cache-ttl' });
  }
  return Math.min(ttlMs, n * 1000);
}

/** The secret a client presented (for the client-key namespace when governance is off). */
function presentedKey(ctx: ChatContext): string | undefined {
  const auth = header(ctx, 'authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return header(ctx, 'x-api-key') ?? header(ctx, 'x-goog-api-key');
}

/**
 * Who may share entries: `key:<id>`, `team:<name>` or `global`. Without a principal (governance
 * off), the client key's id when server.api_keys authenticates clients, else global.
 */
export function namespaceOf(ctx: ChatContext, mode: CacheNamespaceMode): string {
  if (mode === 'global') return 'global';
  const p = ctx.principal;
  if (p) {
    if (mode === 'team' && p.team !== undefined) return `team:${p.team}`;
    return `key:${p.id}`;
  }
  if (ctx.snapshot.clientKeys.size > 0) {
    const k = presentedKey(ctx);
    if (k !== undefined && ctx.snapshot.clientKeys.has(k)) return `key:${serverKeyId(sha256Hex(k))}`;
  }
  return 'global';
}

/** Per-model settings on a snapshot: the alias's `cache` override over `cache`. */
function effectiveFor(snapshot: Runtime, cfg: CacheConfig): (model: string) => Effective | undefined {
  const global: Effective | undefined = cfg.enabled ? { ttlMs: cfg.ttl_s * 1000, semantic: cfg.semantic.enabled, threshold: cfg.semantic.threshold } : undefined;
  const perAlias = new Map<string, Effective | undefined>();
  for (const [name, alias] of Object.entries(snapshot.config.models)) {
    const o = alias.cache;
    if (o === undefined) continue;
    if (o === false || (typeof o === 'object' && o.enabled === false)) perAlias.set(name, undefined);
    else if (o === true) perAlias.set(name, { ttlMs: cfg.ttl_s * 1000, semantic: cfg.semantic.enabled, threshold: cfg.semantic.threshold });
    else
      perAlias.set(name, {
        ttlMs: (o.ttl_s ?? cfg.ttl_s) * 1000,
        semantic: o.semantic ?? cfg.semantic.enabled,
        threshold: o.threshold ?? cfg.semantic.threshold,
      });
  }
  return (model) => (perAlias.has(model) ? perAlias.get(model) : global);
}

/** Whether any model on the snapshot is cached (else the factory adds nothing). */
function anyCached(snapshot: Runtime, cfg: CacheConfig): boolean {
  if (cfg.enabled) return true;
  return Object.values(snapshot.config.models).some((a) => a.cache === true || (typeof a.cache === 'object' && a.cache.enabled !== false));
}

/** Rejects after `ms` unless `p` settled first. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** What storing an answer needs besides the answer. */
interface SaveJob {
  ctx: ChatContext;
  ns: string;
  key: string;
  ttlMs: number;
  route: RouteInfo | undefined;
  /** For the semantic index: the context key, the text to embed and its vector when the lookup made one. */
  semantic: { contextKey: string; text: string; vector: number[] | undefined } | undefined;
}

/**
 * The tap of a streamed miss: assembles the answer as its events pass and stores it once the
 * stream ended cleanly (never a truncated, failed or cancelled one).
 */
class StoreWhenDone extends ResponseAssembler implements StreamTap {
  constructor(
    private readonly job: SaveJob,
    private readonly save: (job: SaveJob, response: CoreResponse) => void,
  ) {
    super();
  }

  done(end: StreamEnd): void {
    if (end.kind !== 'end') return;
    const response = this.result();
    if (response) this.save(this.job, response);
  }
}

export interface CacheMiddlewareOptions {
  service: CacheService;
}

export function cacheMiddleware(o: CacheMiddlewareOptions): MiddlewareFactory {
  const { service } = o;
  return (snapshot: Runtime, services: GatewayServices) => {
    const cfg = snapshot.config.cache;
    if (!anyCached(snapshot, cfg)) return undefined;
    const clock = services.clock;
    const store: CacheStore = service.storeFor(cfg.store, clock, snapshot);
    const index: IndexHandle | undefined = semanticInUse(snapshot.config) ? service.indexFor(cfg.semantic.index, snapshot.config.storage, clock, cfg.semantic.timeout_ms, snapshot) : undefined;
    // Once no request runs on this snapshot any more, what only it used is closed.
    services.whenRetired(snapshot, () => service.release(snapshot));
    const settingsFor = effectiveFor(snapshot, cfg);
    const prices = new PriceTable({ overrides: snapshot.config.pricing.overrides });
    const storeTimeoutMs = cfg.store.type === 'redis' ? cfg.store.timeout_ms * 2 : 1000;
    // A store in this process (getNow/setNow) is called directly; one on the network gets a bound.
    const bounded = <T>(p: Promise<T>, what: string): Promise<T> => within(p, storeTimeoutMs, what);
    const semanticCfg = cfg.semantic;
    const counters = service.counters;
    const admission = service.admission;
    const admitMode = cfg.admission.mode;
    const admitWindow = cfg.admission.window;

    const savedUsd = (a: CachedAnswer): number => {
      if (!a.provider || !a.model) return 0;
      const price = prices.lookup({ provider: a.provider, providerType: a.providerType ?? '', model: a.model });
      return price ? costOf(price, a.response.usage) : 0;
    };

    const note = (ctx: ChatContext, outcome: CacheOutcome, extra: { similarity?: number; savedUsd?: number } = NO_EXTRA) => {
      ctx.responseHeaders['x-switchyard-cache'] = outcome;
      if (extra.similarity !== undefined) ctx.responseHeaders['x-switchyard-cache-similarity'] = extra.similarity.toFixed(4);
      const prev = ctx.state.get(RECORD_EXTRAS);
      const fields: Record<string, unknown> = prev ? { ...prev, cache: outcome } : { cache: outcome };
      if (extra.similarity !== undefined) fields['cacheSimilarity'] = extra.similarity;
      if (extra.savedUsd !== undefined) fields['cacheSavedUsd'] = extra.savedUsd;
      ctx.state.set(RECORD_EXTRAS, fields);
    };

    const answer = (ctx: ChatContext, a: CachedAnswer, outcome: 'hit' | 'semantic-hit', similarity?: number): ChatResult => {
      const saved = savedUsd(a);
      counters[outcome === 'hit' ? 'hits' : 'semanticHits']++;
      counters.savedUsd += saved;
      admission.hit();
      ctx.state.set(CACHE_HIT, { outcome });
      note(ctx, outcome, { savedUsd: saved, ...(similarity !== undefined ? { similarity } : {}) });
      if (ctx.request.stream) return { kind: 'stream', stream: streamFromEvents(responseToEvents(a.response)) };
      return { kind: 'response', response: a.response };
    };

    const embed = async (ctx: ChatContext, text: string, timeoutMs: number): Promise<number[] | undefined> => {
      // Charged to the key's budgets through governance's meter, when it has token or USD limits.
      const meter = ctx.state.get(SPEND_METER);
      try {
        const [v] = await services.embed({
          snapshot,
          model: semanticCfg.embedding_model,
          texts: [text],
          timeoutMs,
          signal: ctx.signal,
          purpose: 'semantic-cache',
          requestId: `${ctx.id}:cache-embed`,
          ...(ctx.principal ? { principal: ctx.principal } : {}),
          ...(meter ? { meter } : {}),
        });
        return v && v.length ? v : undefined;
      } catch (err) {
        if (err instanceof GatewayError && err.status === 429 && meter) {
          ctx.log.debug({ err: { message: err.message } }, 'semantic cache: the key\'s limits leave no room for the embedding; treated as a miss');
        } else {
          counters.errors.embedding++;
          ctx.log.debug({ err: { message: (err as Error).message } }, 'semantic cache: the embedding failed; treated as a miss');
        }
        return undefined;
      }
    };

    const save = (args: SaveJob, response: CoreResponse) => {
      if (args.ttlMs <= 0 || response.choices?.length || response.finishReason === 'error') return;
      const t = args.route?.target;
      const entry: CachedAnswer = { v: 1, response, storedAt: clock.now() };
      if (t) {
        entry.provider = t.provider.name;
        entry.providerType = t.provider.type;
        entry.model = t.model;
      }
      // One encoding for the store and the semantic index: both keep the answer's JSON. An answer
      // that cannot be encoded is not cached; the request is not touched.
      let value: string;
      try {
        value = encodeAnswer(entry);
      } catch (err) {
        args.ctx.log.warn({ err: { message: (err as Error).message } }, 'cache: an answer could not be stored');
        return;
      }
      counters.stored++;
      if (store.setNow) {
        try {
          store.setNow(args.ns, args.key, value, args.ttlMs);
          service.report('exact', store, true);
        } catch (err) {
          service.report('exact', store, false, err);
        }
      } else {
        bounded(store.set(args.ns, args.key, value, args.ttlMs), 'cache store write').then(
          () => service.report('exact', store, true),
          (err: unknown) => service.report('exact', store, false, err),
        );
      }
      const sem = args.semantic;
      if (!sem || !index) return;
      void (async () => {
        const vector = sem.vector ?? (await embed(args.ctx, sem.text, semanticCfg.timeout_ms));
        const idx = index.current();
        if (!vector || !idx) return;
        try {
          await within(idx.add({ namespace: args.ns, contextKey: sem.contextKey, vector, value, expiresAt: clock.now() + args.ttlMs }), semanticCfg.timeout_ms * 4, 'semantic index write');
          service.report('semantic', index, true);
        } catch (err) {
          service.report('semantic', index, false, err);
        }
      })();
    };

    /**
     * The cache's work is done in line, with no timer and no turn of the event loop per request:
     * the lookup as the request comes in; the store once the answer is whole. A JSON answer is
     * stored on the next tick, which Node runs once the promise chain that writes the answer to
     * its client has run, and before any other I/O is handled; a stream's answer after its last
     * frame was written.
     * (Until 2026-12 each turn's stores and lookups were batched behind a setImmediate, to keep
     * the key's code and data warm; in the running server that made no difference the runs could
     * see, at c=32 or below saturation: docs/performance.md.)
     */
    const cache: ChatMiddleware = async (ctx, next) => {
      const settings = settingsFor(ctx.request.model);
      if (!settings) return next();
      const mode = control(ctx);
      const ttlMs = ttlOverride(ctx, settings.ttlMs);
      let route: string[];
      try {
        route = targetsFor(snapshot, ctx.request).map((t) => t.label);
      } catch {
        return next(); // an unknown model: routing answers with its own error
      }
      const ns = namespaceOf(ctx, cfg.namespace);
      const request = ctx.request;
      const lookup = mode === 'default' || mode === 'no-store';
      const keep = mode === 'default' || mode === 'refresh';

      const text = settings.semantic && index && request.messages.length <= semanticCfg.max_messages ? lastUserText(request) : undefined;
      // A request that cannot be keyed is a bug, not a store fault: it fails like any other.
      const keys = cacheKeys({ request, route, namespace: ns }, text !== undefined);
      const key = keys.exact;
      const ctxKey = keys.context;
      let vector: number[] | undefined;
      // Whether a miss's answer is stored: `refresh` always; otherwise as cache.admission says
      // (a request the semantic cache looks up always, since its paraphrases have other keys).
      let admitted = keep;

      if (lookup) {
        let looked = false;
        try {
          const a = store.getNow ? store.getNow(ns, key) : await bounded(store.get(ns, key), 'cache store read');
          service.report('exact', store, true);
          if (a) return answer(ctx, a, 'hit');
          looked = true;
        } catch (err) {
          service.report('exact', store, false, err);
          ctx.log.debug({ err: { message: (err as Error).message } }, 'cache: lookup failed; treated as a miss');
        }
        if (text !== undefined && ctxKey !== undefined) {
          const started = performance.now();
          vector = await embed(ctx, text, semanticCfg.timeout_ms);
          const idx = index?.current();
          const left = semanticCfg.timeout_ms - (performance.now() - started);
          if (vector && idx && left > 0) {
            try {
              const m = await within(idx.search({ namespace: ns, contextKey: ctxKey, vector, threshold: settings.threshold, now: clock.now() }), Math.max(1, left), 'semantic index lookup');
              service.report('semantic', index, true);
              const a = m && decodeAnswer(m.value);
              if (m && a) return answer(ctx, a, 'semantic-hit', m.similarity);
            } catch (err) {
              service.report('semantic', index, false, err);
              ctx.log.debug({ err: { message: (err as Error).message } }, 'semantic cache: lookup failed; treated as a miss');
            }
          }
        }
        counters.misses++;
        note(ctx, 'miss');
        // A failed lookup says nothing of whether requests repeat; nor does a no-store one.
        if (looked && keep && ctxKey === undefined && !admission.miss(key, admitMode, admitWindow)) admitted = false;
      } else {
        counters.bypasses++;
        note(ctx, 'bypass');
      }

      const result = await next();
      if (!admitted) return result;
      const job: SaveJob = { ctx, ns, key, ttlMs, route: result.route, semantic: text !== undefined && ctxKey !== undefined ? { contextKey: ctxKey, text, vector } : undefined };
      if (result.kind === 'response') {
        process.nextTick(save, job, result.response);
        return result;
      }
      return { ...result, stream: tapStream(result.stream, new StoreWhenDone(job, save)) };
    };
    return forChat(cache);
  };
}
