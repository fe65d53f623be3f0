/**
 * What the web console needs beyond the config resources:
 *   GET  /api/session               which token was presented (admin or read) and whether it may write;
 *   GET  /api/overview              time series of the last hour (this replica's ring), spend today
 *                                   and this month (the shared request log), every target's breaker
 *                                   state and manual override;
 *   POST /api/providers/{name}/test one tiny request through that provider (no fallback, no
 *                                   breaker, not logged), its outcome and latency.
 */
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import type { OverviewRing } from '../../plugins/overview/overview-ring.js';
import type { RequestLogPlugin } from '../../plugins/request-log/request-log-plugin.js';
import { chatAttempt } from '../../routing/chat-attempt.js';
import type { CircuitBreakers } from '../../routing/circuit-breaker.js';
import { systemClock } from '../../routing/clock.js';
import { executeChain } from '../../routing/execute-chain.js';
import type { AttemptRecord } from '../../routing/execute-chain.js';
import type { Runtime } from '../../routing/runtime.js';
import type { AdminRoute } from './admin-http.js';
import { invalid, isObject } from './admin-http.js';

export interface ConsoleResourceOptions {
  ring: OverviewRing;
  requestLog: RequestLogPlugin;
  gateway: { readonly currentRuntime: Runtime; readonly breakers: CircuitBreakers };
  now?: () => number;
}

/** Longest a provider test may take. */
const TEST_TIMEOUT_MS = 15_000;
const OVERVIEW_PARAMS = new Set(['day_start', 'month_start']);

function parseInstant(param: string, v: string | null, fallback: number): number {
  if (v === null || v === '') return fallback;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw invalid(param, `expected an ISO 8601 time or epoch milliseconds, got "${v.slice(0, 64)}"`);
  return n;
}

export interface TargetState {
  target: string;
  provider: string;
  /** Aliases that list this target. */
  aliases: string[];
  state: 'closed' | 'open' | 'half-open';
  consecutive_failures: number;
  retry_in_ms?: number;
  /** The manual override that takes it out of rotation (on the target or its whole provider). */
  override: { name: string; reason?: string } | null;
}

/** Every target the aliases name plus every target a breaker has seen, with breaker and override. */
export function targetStates(runtime: Runtime, breakers: CircuitBreakers): TargetState[] {
  const byLabel = new Map<string, TargetState>();
  const overrides = runtime.config.breaker_overrides ?? {};
  const add = (label: string, provider: string) => {
    let t = byLabel.get(label);
    if (!t) {
      const name = Object.hasOwn(overrides, label) ? label : Object.hasOwn(overrides, provider) ? provider : undefined;
      const o = name === undefined ? undefined : overrides[name];
      t = { target: label, provider, aliases: [], state: breakers.state(label), consecutive_failures: 0, override: o ? { name: name!, ...(o.reason ? { reason: o.reason } : {}) } : null };
      byLabel.set(label, t);
    }
    return t;
  };
  for (const alias of runtime.aliases.values()) for (const t of alias.targets) add(t.label, t.provider.name).aliases.push(alias.name);
  for (const b of breakers.snapshot()) {
    if (b.id.startsWith('key:')) continue;
    const slash = b.id.indexOf('/');
    if (slash <= 0) continue;
    const t = add(b.id, b.id.slice(0, slash));
    t.consecutive_failures = b.consecutiveFailures;
    if (b.retryInMs !== undefined) t.retry_in_ms = b.retryInMs;
  }
  return [...byLabel.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** The model a provider test uses when the body names none: its first alias target, else its first listed model. */
function defaultModel(runtime: Runtime, provider: string): string | undefined {
  for (const alias of runtime.aliases.values()) for (const t of alias.targets) if (t.provider.name === provider) return t.model;
  return runtime.providers.get(provider)?.models[0];
}

function attemptView(a: AttemptRecord) {
  return { target: a.target, outcome: a.outcome, duration_ms: a.durationMs, ...(a.keyId ? { key_id: a.keyId } : {}), ...(a.code ? { code: a.code } : {}), ...(a.status ? { status: a.status } : {}), ...(a.message ? { message: a.message } : {}) };
}

export function consoleResource(o: ConsoleResourceOptions): AdminRoute[] {
  const now = o.now ?? Date.now;
  return [
    {
      // Which token signed in: the console disables its controls for the read-only one.
      method: 'GET',
      pattern: 'session',
      async handle({ actor }) {
        return { body: { token: actor.token, can_write: actor.token === 'admin' } };
      },
    },
    {
      method: 'GET',
      pattern: 'overview',
      async handle({ url }) {
        for (const k of url.searchParams.keys()) if (!OVERVIEW_PARAMS.has(k)) throw invalid(k, `unknown parameter; use ${[...OVERVIEW_PARAMS].join(', ')}`);
        const t = now();
        const d = new Date(t);
        // Without the browser's own midnight and first of the month, UTC ones.
        const dayStart = parseInstant('day_start', url.searchParams.get('day_start'), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
        const monthStart = parseInstant('month_start', url.searchParams.get('month_start'), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
        if (dayStart >= t || monthStart >= t) throw invalid(dayStart >= t ? 'day_start' : 'month_start', 'must be in the past');
        const [today, month] = await Promise.all([o.requestLog.stats({ from: dayStart, to: t + 1 }), o.requestLog.stats({ from: monthStart, to: t + 1 })]);
        const runtime = o.gateway.currentRuntime;
        return {
          body: {
            generated_at: new Date(t).toISOString(),
            series: o.ring.series(),
            spend: {
              today_usd: today.totals.cost_usd,
              month_usd: month.totals.cost_usd,
              day_start: new Date(dayStart).toISOString(),
              month_start: new Date(monthStart).toISOString(),
              today_requests: today.totals.requests,
              month_requests: month.totals.requests,
            },
            targets: targetStates(runtime, o.gateway.breakers),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: 'providers/:name/test',
      async handle(call) {
        const name = call.params['name']!;
        const runtime = o.gateway.currentRuntime;
        if (!runtime.providers.has(name)) throw new GatewayError('GW_ERR_NOT_FOUND', `provider ${JSON.stringify(name)} is not configured; GET /api/providers lists them`);
        const raw = await call.body();
        if (raw !== undefined && !isObject(raw)) throw invalid('(body)', 'expected a JSON object such as {"model": "gpt-4o-mini"}, or no body');
        const asked = isObject(raw) ? raw['model'] : undefined;
        if (asked !== undefined && (typeof asked !== 'string' || asked === '' || asked.length > 256)) throw invalid('model', 'expected the upstream model id, 1 to 256 characters');
        const model = (asked as string | undefined) ?? defaultModel(runtime, name);
        if (!model) throw invalid('model', `provider ${JSON.stringify(name)} lists no model and no alias uses it: send {"model": "<upstream model id>"}`);
        const targets = runtime.resolve(`${name}/${model}`);
        const request: CoreRequest = {
          model: `${name}/${model}`,
          system: [],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Reply with the word ok.' }] }],
          maxTokens: 8,
          stream: false,
          // An OpenAI-dialect provider forwards the client's body as is: it must be the same request.
          raw: { model: `${name}/${model}`, messages: [{ role: 'user', content: 'Reply with the word ok.' }], max_tokens: 8 },
          dialect: 'openai-chat',
          extras: {},
        };
        let attempts: AttemptRecord[] = [];
        const started = performance.now();
        const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
        try {
          const s = await executeChain({
            targets,
            attempt: chatAttempt(request),
            deadlineAt: systemClock.now() + TEST_TIMEOUT_MS,
            signal,
            logger: call.logger,
            clock: systemClock,
            onAttempts: (a) => (attempts = a),
          });
          s.release();
          const result = s.answer.result;
          let text = '';
          if (result.kind === 'response') {
            for (const p of result.response.content) if (p.type === 'text') text += p.text;
          } else {
            s.answer.peeked?.stream.abort();
          }
          return { body: { ok: true, provider: name, model, target: s.target.label, latency_ms: Math.round(performance.now() - started), answer: text.slice(0, 200), attempts: attempts.map(attemptView) } };
        } catch (e) {
          const err = e instanceof GatewayError ? e : new GatewayError('GW_ERR_INTERNAL', (e as Error).message);
          return {
            body: { ok: false, provider: name, model, target: `${name}/${model}`, latency_ms: Math.round(performance.now() - started), error: { code: err.code, status: err.status, message: err.message }, attempts: attempts.map(attemptView) },
          };
        }
      },
    },
  ];
}
