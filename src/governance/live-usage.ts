/**
 * Live usage of a key or a team for the admin API: in flight now, and for each configured limit
 * the amount used in its current window and when that window resets.
 */
import type { Json, JsonObject } from '../control/secret-fields.js';
import { counterKey } from './governance-middleware.js';
import type { CompiledLimit } from './governance-policy.js';
import { inFlightOnly, NANO_USD } from './governance-policy.js';
import type { GovernanceService } from './governance-service.js';

export async function liveUsage(service: GovernanceService, scope: 'key' | 'team', owner: string, own: CompiledLimit[], now = Date.now()): Promise<JsonObject> {
  const limits = [...own.filter((l) => l.metric !== 'concurrent'), inFlightOnly(scope, owner)];
  const keys = limits.map((l) => counterKey(service.keyPrefix, l, now));
  const values = await service.read(keys.map((k) => k.key));
  const budgets: Json[] = [];
  const rates: Json[] = [];
  let inFlight = 0;
  limits.forEach((l, i) => {
    const v = values[i] ?? 0;
    const resets = Number.isFinite(keys[i]!.resetAt) ? new Date(keys[i]!.resetAt).toISOString() : null;
    if (l.metric === 'concurrent') inFlight = v;
    else if (l.metric === 'usd') budgets.push({ period: l.period!, max_usd: l.shown, spent_usd: v / NANO_USD, resets_at: resets });
    else rates.push({ per: l.period!, [l.metric]: l.shown, used: v, resets_at: resets });
  });
  return { in_flight: inFlight, budgets, rate_limits: rates };
}
