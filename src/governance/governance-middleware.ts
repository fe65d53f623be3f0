/**
 * Governance as pipeline middleware, before routing. In order:
 *   1. authentication (the virtual key, by the SHA-256 of its secret),
 *   2. the key is enabled and not expired, and may use the requested model (and any fallbacks),
 *   3. one atomic reservation for every limit of the key and its team: concurrency, request and
 *      token rate limits, budgets (worst-case cost at the route's most expensive target),
 *   4. after the answer (a stream: when it ends), settlement to the real usage and cost.
 * With governance off the factory returns undefined: nothing runs per request.
 */
import { CACHE_HIT } from '../cache/cache-middleware.js';
import { GatewayError } from '../core/errors.js';
import type { Usage } from '../core/response.js';
import type { GatewayServices, MiddlewareFactory } from '../pipeline/feature.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import type { SpendMeter } from '../pipeline/spend-meter.js';
import { SPEND_METER } from '../pipeline/spend-meter.js';
import type { CoreRequest } from '../core/request.js';
import { tapStream } from '../pipeline/event-stream.js';
import type { PipelineResult, RouteInfo } from '../pipeline/result.js';
import { targetsFor } from '../pipeline/route-step.js';
import { costOf, PriceTable } from '../pricing/price-table.js';
import type { Runtime } from '../routing/runtime.js';
import type { CounterAdjust, CounterCheck } from './counter-store.js';
import { estimateChatTokens, estimateEmbeddingsTokens, mergeUsage, worstCaseUsd } from './estimate-request.js';
import type { CompiledKey, CompiledLimit, GovernancePolicy } from './governance-policy.js';
import { authenticateKey, checkKeyUsable, keyAllowsModel, NANO_USD, policyFor } from './governance-policy.js';
import type { GovernanceService, Where } from './governance-service.js';
import type { HeaderLimit } from './rate-limit-headers.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { windowOf } from './windows.js';

/**
 * How long a concurrency counter outlives its last use. In Redis a replica that died holding slots
 * stops counting within three heartbeats (15 s); this only clears the key of a quiet one.
 */
const CONCURRENCY_TTL_MS = 15 * 60_000;
/** Counters outlive their window a little, so a late settlement still finds them. */
const WINDOW_SLACK_MS = 60_000;

/** The Redis/memory key of a limit's counter in the window that holds `now`. */
export function counterKey(prefix: string, l: CompiledLimit, now: number): { key: string; expireAt: number; resetAt: number } {
  const base = `${prefix}${l.scope === 'key' ? 'k' : 't'}:${l.owner}:`;
  // `inflight`, not the `concurrent` counter of earlier versions: in Redis it is a hash of per-replica
  // counts now, and a rolling upgrade must not meet the old string under the same name.
  if (l.metric === 'concurrent') return { key: `${base}inflight`, expireAt: now + CONCURRENCY_TTL_MS, resetAt: now };
  const w = windowOf(l.period!, now);
  return { key: `${base}${l.metric}:${l.period}:${w.start}`, expireAt: w.end + WINDOW_SLACK_MS, resetAt: w.end };
}

/** A limit's counter key in one window, reused by every request of that window. */
interface Slot {
  key: string;
  /** The window [start, end) the key is for; concurrency counters have one key forever. */
  start: number;
  end: number;
  expireAt: number;
  /** The counter's value in the shared store (Redis) at this replica's last reservation there. */
  seen: number | undefined;
}

function slotFor(prefix: string, l: CompiledLimit, now: number): Slot {
  const k = counterKey(prefix, l, now);
  if (l.metric === 'concurrent') return { key: k.key, start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY, expireAt: 0, seen: undefined };
  const w = windowOf(l.period!, now);
  return { key: k.key, start: w.start, end: w.end, expireAt: k.expireAt, seen: undefined };
}

/**
 * The error for a limit that does not hold a request; a budget's also tells the SDKs not to retry
 * (through `ctx`'s response headers; none when the refusal does not reach the client).
 * `subject`: what the limit would not hold: the request, or a further call of it (an MCP round).
 */
function refusal(ctx: RequestContext | undefined, l: CompiledLimit, resetAt: number, now: number, subject = 'this request'): GatewayError {
  const who = l.scope === 'key' ? `virtual key ${l.owner}` : `team ${l.owner}`;
  if (l.metric === 'usd') {
    if (ctx) ctx.responseHeaders['x-should-retry'] = 'false';
    const when = Number.isFinite(resetAt) ? `; the window resets at ${new Date(resetAt).toISOString()}` : ' (a total budget: it does not reset)';
    const opts = Number.isFinite(resetAt) ? { retryAfterMs: resetAt - now } : {};
    return new GatewayError('GW_ERR_BUDGET_EXHAUSTED', `budget exhausted: the ${l.period} budget of ${who} ($${l.shown}) has less left than ${subject} may cost${when}`, opts);
  }
  if (l.metric === 'concurrent') {
    return new GatewayError('GW_ERR_RATE_LIMITED', `rate limited: ${who} already has ${l.shown} requests in flight (max_concurrent); retry when one finishes`, { retryAfterMs: 1000 });
  }
  const what = l.metric === 'requests' ? `${l.shown} requests` : `${l.shown} tokens`;
  return new GatewayError('GW_ERR_RATE_LIMITED', `rate limited: ${who} allows ${what} per ${l.period}; the window resets at ${new Date(resetAt).toISOString()}`, { retryAfterMs: Math.max(1, resetAt - now) });
}

function modelNotAllowed(key: CompiledKey, model: string): GatewayError {
  return new GatewayError('GW_ERR_MODEL_NOT_ALLOWED', `virtual key ${key.id} may not use the model '${model}'; GET /v1/models lists the models it may use`, { param: 'model' });
}

interface Reservation {
  where: Where;
  checks: CounterCheck[];
  limits: CompiledLimit[];
}

/** What a request really used. */
interface Amounts {
  usd: number;
  tokens: number;
}
/** What to settle a reservation to; 'keep-all' keeps the worst case reserved. */
type Spent = Amounts | 'keep-all';
const NOTHING: Amounts = Object.freeze({ usd: 0, tokens: 0 });

function actualAmount(metric: CompiledLimit['metric'], spent: Amounts, reserved: number): number {
  switch (metric) {
    case 'concurrent':
      return 0;
    case 'requests':
      return reserved;
    case 'tokens':
      return spent.tokens;
    case 'usd':
      return Math.ceil(spent.usd * NANO_USD);
  }
}

/**
 * The file a memory counter store keeps its counters in: the embedded request log's SQLite file.
 * None with a ':memory:' database, or with Postgres storage (replicas sharing limits use Redis).
 */
export function counterFileOf(storage: Runtime['config']['storage']): string | undefined {
  return storage.postgres_url === undefined && storage.sqlite_path !== ':memory:' ? storage.sqlite_path : undefined;
}

export interface GovernanceMiddlewareOptions {
  service: GovernanceService;
  clock?: () => number;
}

export function governanceMiddleware(o: GovernanceMiddlewareOptions): MiddlewareFactory {
  const clock = o.clock ?? Date.now;
  return (snapshot: Runtime, services: GatewayServices) => {
    const g = snapshot.config.governance;
    if (!g.enabled) {
      o.service.disable();
      return undefined;
    }
    o.service.configure(g, snapshot, counterFileOf(snapshot.config.storage));
    if (g.counters.type === 'memory' && snapshot.config.storage.postgres_url !== undefined) {
      o.service.warnOnce(
        'memory-counters-with-postgres',
        'governance: counters are in memory (governance.counters.type: memory) while the request log is in Postgres: each replica counts its own limits, and budgets start from zero at each restart; replicas sharing Postgres should share counters: { type: redis }',
      );
    }
    services.whenRetired(snapshot, () => o.service.release(snapshot));
    const policy: GovernancePolicy = policyFor(snapshot.config);
    const prices = new PriceTable({ overrides: snapshot.config.pricing.overrides });
    const prefix = o.service.keyPrefix;
    const service = o.service;
    // Counter keys per limit, rebuilt only when a new window starts (bounded by the config's limits).
    const slots = new Map<CompiledLimit, Slot>();

    /** Tokens and USD of one call's usage, priced at the target that answered it. */
    const spentOf = (usage: Partial<Usage> | undefined, route: RouteInfo | undefined): Amounts => {
      if (!usage) return NOTHING;
      let usd = 0;
      if (route) {
        const t = route.target;
        const price = prices.lookup({ provider: t.provider.name, providerType: t.provider.type, model: t.model });
        if (price) usd = costOf(price, { inputTokens: 0, outputTokens: 0, ...usage });
      }
      return { usd, tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) };
    };

    const settle = (r: Reservation, spent: Spent) => {
      const adjusts: CounterAdjust[] = [];
      for (let i = 0; i < r.limits.length; i++) {
        const l = r.limits[i]!;
        const c = r.checks[i]!;
        const expires = c.expireAt !== Number.POSITIVE_INFINITY;
        if (l.metric === 'concurrent') {
          // 0 when this is a further call's own settlement (it reserved no concurrency).
          if (c.amount !== 0) adjusts.push({ key: c.key, delta: -c.amount, expires, perReplica: true });
        } else if (spent !== 'keep-all') {
          const delta = actualAmount(l.metric, spent, c.amount) - c.amount;
          if (delta !== 0) adjusts.push({ key: c.key, delta, expires });
        }
      }
      service.settle(r.where, adjusts);
    };

    /**
     * A request that calls upstream again (an MCP round): each further call's worst case is added to
     * the reservation before it is made, and each call's usage is priced at its own target. Once a
     * call was metered, the settlement is the sum of the calls, whatever the final answer says.
     */
    class Meter implements SpendMeter {
      /** Calls that ended (their usage is in `spent`). */
      calls = 0;
      /** Calls started and not ended: the request's first, and each one reserved since. */
      open = 1;
      readonly spent: Amounts = { usd: 0, tokens: 0 };

      constructor(
        private readonly ctx: RequestContext,
        private readonly key: CompiledKey,
        private readonly r: Reservation,
      ) {}

      async beforeCall(request: CoreRequest): Promise<void> {
        const est = estimateChatTokens(request, g.default_max_tokens);
        const amounts = await this.reserve(est, targetsFor(snapshot, request), 'the next model call of this request (an MCP round)', true);
        if (!amounts) return; // the counter store failed, and fail_open lets the call go uncounted
        for (let i = 0; i < amounts.length; i++) this.r.checks[i]!.amount += amounts[i]!;
        this.open++;
      }

      async embeddingsCall(model: string, texts: string[]): Promise<(usage: Partial<Usage> | undefined, route: RouteInfo | undefined) => void> {
        const est = estimateEmbeddingsTokens({ input: { kind: 'text', texts } });
        // A refusal here skips the lookup; the request goes on, so its answer gets no refusal header.
        const amounts = await this.reserve(est, snapshot.resolve(model), 'an embeddings call made for this request (the semantic cache)', false);
        // Settled on its own, to what it used: it may end after the request's own settlement.
        const r = this.r;
        return (usage, route) => {
          if (amounts) settle({ where: r.where, limits: r.limits, checks: r.checks.map((c, i) => ({ ...c, amount: amounts[i]! })) }, spentOf(usage, route));
        };
      }

      /**
       * Reserves a further call's worst case on the request's token and USD counters (its other
       * counters are left alone); returns the amount added to each of the request's limits, in
       * order. Throws the refusal (naming `subject`; `toClient`: it becomes the request's answer)
       * when a limit cannot hold it; undefined when the counter store failed and fail_open lets
       * the call go uncounted.
       */
      private async reserve(est: { input: number; output: number }, targets: Parameters<typeof worstCaseUsd>[1], subject: string, toClient: boolean): Promise<number[] | undefined> {
        const tokens = est.input + est.output;
        const usdNano = this.key.needsCost ? Math.ceil(worstCaseUsd(prices, targets, est) * NANO_USD) : 0;
        const r = this.r;
        const amounts = r.limits.map((l) => (l.metric === 'usd' ? usdNano : l.metric === 'tokens' ? tokens : 0));
        const at: number[] = [];
        for (let i = 0; i < amounts.length; i++) if (amounts[i]! > 0) at.push(i);
        if (at.length === 0) return amounts;
        const now = clock();
        const result = await service.reserveMore(r.where, at.map((i) => ({ ...r.checks[i]!, amount: amounts[i]! })), now);
        if (!result) return undefined;
        if (!result.ok) {
          const l = r.limits[at[result.index]!]!;
          throw refusal(toClient ? this.ctx : undefined, l, l.period ? windowOf(l.period, now).end : now, now, subject);
        }
        return amounts;
      }

      afterCall(usage: Partial<Usage> | undefined, route: RouteInfo | undefined): void {
        this.calls++;
        this.open--;
        const s = spentOf(usage, route);
        this.spent.usd += s.usd;
        this.spent.tokens += s.tokens;
      }
    }

    const governance: Middleware = async (ctx: RequestContext, next) => {
      const now = clock();
      const key: CompiledKey = authenticateKey(policy, ctx.headers);
      ctx.principal = key.team !== undefined ? { id: key.id, kind: 'virtual-key', team: key.team } : { id: key.id, kind: 'virtual-key' };
      checkKeyUsable(key, now);
      const model = ctx.request.model;
      if (!keyAllowsModel(key, model)) throw modelNotAllowed(key, model);
      if (ctx.kind === 'chat' && ctx.request.fallbacks) {
        for (const m of ctx.request.fallbacks) if (!keyAllowsModel(key, m)) throw modelNotAllowed(key, m);
      }
      if (key.limits.length === 0) return next();

      // The worst case, reserved now and settled to what the answer really used.
      let tokens = 0;
      let usdNano = 0;
      if (key.needsTokens || key.needsCost) {
        const est = ctx.kind === 'chat' ? estimateChatTokens(ctx.request, g.default_max_tokens) : estimateEmbeddingsTokens(ctx.request);
        tokens = est.input + est.output;
        if (key.needsCost) {
          const targets = ctx.kind === 'chat' ? targetsFor(snapshot, ctx.request) : snapshot.resolve(model);
          usdNano = Math.ceil(worstCaseUsd(prices, targets, est) * NANO_USD);
        }
      }
      const n = key.limits.length;
      const checks = new Array<CounterCheck>(n);
      const resets = new Array<number>(n);
      const used = new Array<Slot>(n);
      for (let i = 0; i < n; i++) {
        const l = key.limits[i]!;
        let slot = slots.get(l);
        if (!slot || now >= slot.end || now < slot.start) {
          slot = slotFor(prefix, l, now);
          slots.set(l, slot);
        }
        const amount = l.metric === 'usd' ? usdNano : l.metric === 'tokens' ? tokens : 1;
        resets[i] = l.metric === 'concurrent' ? now : slot.end;
        used[i] = slot;
        checks[i] =
          l.metric === 'concurrent'
            ? { key: slot.key, limit: l.limit, amount, expireAt: now + CONCURRENCY_TTL_MS, perReplica: true }
            : { key: slot.key, limit: l.limit, amount, expireAt: slot.expireAt, refreshExpiry: false, keep: true, seen: slot.seen };
      }
      const { result, where } = await service.reserve(checks, now);
      // What the shared store holds, for the local fallback of a later outage (memory: not needed).
      if (where !== 'local' && where.kind === 'redis') {
        for (let i = 0; i < result.values.length; i++) if (used[i]!.expireAt !== 0) used[i]!.seen = result.values[i];
      }


      // Headers: of each kind, the limit with the least left.
      let requests: HeaderLimit | undefined;
      let tokenLimit: HeaderLimit | undefined;
      for (let i = 0; i < n; i++) {
        const l = key.limits[i]!;
        const v = result.values[i];
        if (v === undefined || (l.metric !== 'requests' && l.metric !== 'tokens')) continue;
        const remaining = l.limit - v;
        if (l.metric === 'requests') {
          if (!requests || remaining < requests.remaining) requests = { limit: l.limit, remaining, resetAt: resets[i]! };
        } else if (!tokenLimit || remaining < tokenLimit.remaining) tokenLimit = { limit: l.limit, remaining, resetAt: resets[i]! };
      }
      if (requests || tokenLimit) rateLimitHeaders(ctx.dialect.id, now, { requests, tokens: tokenLimit }, ctx.responseHeaders);

      if (!result.ok) {
        throw refusal(ctx, key.limits[result.index]!, resets[result.index]!, now);
      }

      const r: Reservation = { where, checks, limits: key.limits };
      const meter = ctx.kind === 'chat' && (key.needsTokens || key.needsCost) ? new Meter(ctx, key, r) : undefined;
      if (meter) ctx.state.set(SPEND_METER, meter);
      /** What the calls metered so far used (an MCP loop), or else `fallback`. */
      const metered = (fallback: Spent): Spent => (meter && meter.calls > 0 ? meter.spent : fallback);
      let out: PipelineResult;
      try {
        out = await next();
      } catch (e) {
        settle(r, metered(NOTHING));
        throw e;
      }
      // Answered from the response cache: counts as a request, costs 0 tokens and 0 USD.
      if (ctx.state.has(CACHE_HIT)) {
        settle(r, NOTHING);
        return out;
      }
      if (out.kind === 'response') {
        settle(r, metered(spentOf(out.response.usage, out.route)));
        return out;
      }
      if (out.kind === 'embeddings') {
        settle(r, spentOf({ inputTokens: out.response.usage.inputTokens, outputTokens: 0 }, out.route));
        return out;
      }
      let usage: Partial<Usage> | undefined;
      const route = out.route;
      return {
        ...out,
        stream: tapStream(out.stream, {
          event(e) {
            if (e.type === 'usage' || (e.type === 'start' && e.usage)) usage = mergeUsage(usage, e.usage!);
            else if (e.type === 'finish' && e.usage) usage = mergeUsage(usage, e.usage);
          },
          done(end) {
            // A stream cut before its usage arrived may still be billed upstream: keep the worst
            // case. An MCP loop is settled to its calls, unless one was cut before it ended.
            if (meter && meter.calls > 0) settle(r, meter.open > 0 && end.kind !== 'end' ? 'keep-all' : meter.spent);
            else settle(r, end.kind !== 'end' && !usage ? 'keep-all' : spentOf(usage, route));
          },
        }),
      };
    };
    return governance;
  };
}
