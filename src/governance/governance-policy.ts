/**
 * A config's governance compiled for requests: virtual keys by the SHA-256 of their secret, each
 * with its model matcher and the ordered list of limits that apply to it (its own, then its
 * team's). Compiled once per config (snapshot) and cached; never per request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { sha256Hex } from './sha256-hex.js';
import type { BudgetPeriod, RateLimitConfig, BudgetConfig } from './governance-schema.js';

export type Metric = 'concurrent' | 'requests' | 'tokens' | 'usd';

export interface CompiledLimit {
  scope: 'key' | 'team';
  /** The key's or the team's name. */
  owner: string;
  metric: Metric;
  /** Undefined for concurrency (no window). */
  period?: BudgetPeriod;
  /** In the counter's unit: requests, tokens, nano-USD. */
  limit: number;
  /** As configured, for messages. */
  shown: number;
}

export interface CompiledKey {
  id: string;
  team?: string;
  /** SHA-256 of the secret. */
  hash: Buffer;
  /** Undefined: any model. */
  models?: RegExp;
  expiresAt?: number;
  disabled: boolean;
  /** Checked in this order: concurrency, requests, tokens, budgets; the key's before its team's. */
  limits: CompiledLimit[];
  needsTokens: boolean;
  needsCost: boolean;
  /** Server api_keys: file-managed keys with no limits. */
  fromServerApiKeys: boolean;
}

export interface GovernancePolicy {
  byHash: ReadonlyMap<string, CompiledKey>;
  teams: ReadonlySet<string>;
}

/** USD counters hold nano-dollars (integers in Redis; a $10M budget still fits a double exactly). */
export const NANO_USD = 1e9;

const ORDER: Metric[] = ['concurrent', 'requests', 'tokens', 'usd'];

export function limitsOf(scope: 'key' | 'team', owner: string, o: { budgets: BudgetConfig[]; rate_limits: RateLimitConfig[]; max_concurrent?: number | undefined }): CompiledLimit[] {
  const out: CompiledLimit[] = [];
  if (o.max_concurrent !== undefined) out.push({ scope, owner, metric: 'concurrent', limit: o.max_concurrent, shown: o.max_concurrent });
  for (const r of o.rate_limits) {
    if (r.requests !== undefined) out.push({ scope, owner, metric: 'requests', period: r.per, limit: r.requests, shown: r.requests });
    if (r.tokens !== undefined) out.push({ scope, owner, metric: 'tokens', period: r.per, limit: r.tokens, shown: r.tokens });
  }
  for (const b of o.budgets) out.push({ scope, owner, metric: 'usd', period: b.period, limit: Math.round(b.max_usd * NANO_USD), shown: b.max_usd });
  return out;
}

/** `openai/*` → /^openai\/.*$/; `*` alone matches anything. */
export function modelMatcher(patterns: readonly string[]): RegExp | undefined {
  if (patterns.includes('*')) return undefined;
  const alts = patterns.map((p) => p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*'));
  return new RegExp(`^(?:${alts.join('|') || '(?!)'})$`);
}

/** A concurrency counter that only counts (the in-flight figure of the live usage). */
export function inFlightOnly(scope: 'key' | 'team', owner: string): CompiledLimit {
  return { scope, owner, metric: 'concurrent', limit: Number.MAX_SAFE_INTEGER, shown: Number.POSITIVE_INFINITY };
}

const cache = new WeakMap<Config, GovernancePolicy>();

export function policyFor(config: Config): GovernancePolicy {
  let p = cache.get(config);
  if (!p) {
    p = compilePolicy(config);
    cache.set(config, p);
  }
  return p;
}

/** The id of a server.api_keys entry: stable, never the secret. */
export function serverKeyId(hash: string): string {
  return `server-key-${hash.slice(0, 8)}`;
}

export function compilePolicy(config: Config): GovernancePolicy {
  const byHash = new Map<string, CompiledKey>();
  for (const secret of config.server.api_keys) {
    const hex = sha256Hex(secret);
    byHash.set(hex, { id: serverKeyId(hex), hash: Buffer.from(hex, 'hex'), disabled: false, limits: [], needsTokens: false, needsCost: false, fromServerApiKeys: true });
  }
  for (const [name, k] of Object.entries(config.virtual_keys)) {
    const hex = k.key_sha256 ?? (k.key !== undefined ? sha256Hex(k.key) : undefined);
    if (!hex) continue;
    const team = k.team !== undefined ? config.teams[k.team] : undefined;
    const limits = [...limitsOf('key', name, k), ...(team ? limitsOf('team', k.team!, team) : [])];
    if (limits.length > 0) {
      // In-flight counts for the admin API's live usage, even without a max_concurrent to enforce.
      if (!limits.some((l) => l.metric === 'concurrent' && l.scope === 'key')) limits.push(inFlightOnly('key', name));
      if (team && !limits.some((l) => l.metric === 'concurrent' && l.scope === 'team')) limits.push(inFlightOnly('team', k.team!));
    }
    limits.sort((a, b) => ORDER.indexOf(a.metric) - ORDER.indexOf(b.metric) || (a.scope === b.scope ? 0 : a.scope === 'key' ? -1 : 1));
    const models = modelMatcher(k.models);
    const compiled: CompiledKey = {
      id: name,
      hash: Buffer.from(hex, 'hex'),
      disabled: k.disabled,
      limits,
      needsTokens: limits.some((l) => l.metric === 'tokens'),
      needsCost: limits.some((l) => l.metric === 'usd'),
      fromServerApiKeys: false,
    };
    if (k.team !== undefined) compiled.team = k.team;
    if (models) compiled.models = models;
    if (k.expires_at !== undefined) compiled.expiresAt = Date.parse(k.expires_at);
    byHash.set(hex, compiled);
  }
  return { byHash, teams: new Set(Object.keys(config.teams)) };
}

/** The secret a client presented: Authorization: Bearer, x-api-key (Anthropic), x-goog-api-key (Gemini). */
export function presentedSecret(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const x = headers['x-api-key'] ?? headers['x-goog-api-key'];
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

const UNAUTHORIZED = 'invalid or missing API key: send a virtual key as Authorization: Bearer <key> or x-api-key';

/**
 * The key a request presents, or a 401. The secret is hashed (SHA-256) and the stored hash it
 * names is compared in constant time; no secret is kept in memory, only hashes.
 */
export function authenticateKey(policy: GovernancePolicy, headers: Readonly<Record<string, string | string[] | undefined>>): CompiledKey {
  const secret = presentedSecret(headers);
  if (secret === undefined || secret.length > 4096) throw new GatewayError('GW_ERR_UNAUTHORIZED', UNAUTHORIZED);
  const hex = sha256Hex(secret);
  const key = policy.byHash.get(hex);
  if (!key || !timingSafeEqual(key.hash, Buffer.from(hex, 'hex'))) throw new GatewayError('GW_ERR_UNAUTHORIZED', UNAUTHORIZED);
  return key;
}

/** A 403 when the key is disabled or expired. */
export function checkKeyUsable(key: CompiledKey, now: number): void {
  if (key.disabled) throw new GatewayError('GW_ERR_KEY_DISABLED', `virtual key ${key.id} is disabled; ask an administrator to enable it`);
  if (key.expiresAt !== undefined && now >= key.expiresAt) {
    throw new GatewayError('GW_ERR_KEY_EXPIRED', `virtual key ${key.id} expired at ${new Date(key.expiresAt).toISOString()}; ask an administrator for a new key`);
  }
}

export function keyAllowsModel(key: CompiledKey, model: string): boolean {
  return key.models === undefined || key.models.test(model);
}

/**
 * For routes outside the pipeline (the models list, stored responses, token counting): the key a
 * request presents, checked usable; throws 401/403 as the middleware would.
 */
export function authenticateRequest(config: Config, headers: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): CompiledKey {
  const key = authenticateKey(policyFor(config), headers);
  checkKeyUsable(key, now);
  return key;
}
