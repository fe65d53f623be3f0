/**
 * Config of governance: the switch and the counter store (`governance`), teams and virtual keys.
 * Entries of `teams` and `virtual_keys` are config-store entities too (the admin API edits them).
 */
import { z } from 'zod';
import { virtualKeyMcpSchema } from '../mcp/mcp-schema.js';

export const RATE_PERIODS = ['1m', '1h', '1d', '1w', '1M'] as const;
export const BUDGET_PERIODS = [...RATE_PERIODS, 'total'] as const;
export type RatePeriod = (typeof RATE_PERIODS)[number];
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

const budgetSchema = z
  .object({
    max_usd: z.number().positive().describe('Most USD that may be spent in one window of `period`.'),
    period: z.enum(BUDGET_PERIODS).describe('The window: 1m, 1h, 1d, 1w (Monday 00:00 UTC), 1M (calendar month), or total (never resets).'),
  })
  .strict();

const rateLimitSchema = z
  .object({
    requests: z.number().int().positive().optional().describe('Most requests in one window of `per`.'),
    tokens: z.number().int().positive().optional().describe('Most tokens (input + output, from real usage) in one window of `per`.'),
    per: z.enum(RATE_PERIODS).describe('The window: 1m, 1h, 1d, 1w or 1M, calendar-aligned in UTC.'),
  })
  .strict()
  .refine((r) => (r.requests === undefined) !== (r.tokens === undefined), { message: 'give exactly one of requests or tokens, e.g. { requests: 600, per: 1m }' });

const limitsShape = {
  budgets: z.array(budgetSchema).default([]).describe('Spending caps; a request is refused when its worst-case cost does not fit in every one.'),
  rate_limits: z.array(rateLimitSchema).default([]).describe('Request and token limits per calendar window.'),
  max_concurrent: z.number().int().positive().optional().describe('Most requests in flight at once (streams count until they end). Unset: no limit.'),
};

export const teamSchema = z
  .object({
    ...limitsShape,
    description: z.string().max(1000).optional().describe('Free text for people.'),
  })
  .strict();

/** A virtual key's secret, when it names it; API-created keys keep only `key_sha256`. */
export const virtualKeySchema = z
  .object({
    team: z.string().min(1).optional().describe('The team the key belongs to (a name under `teams`); its limits apply too.'),
    key: z.string().min(16, 'a virtual key is at least 16 characters long').optional().describe('The secret clients send, usually env.NAME. Keys created through the admin API are generated and only their hash is kept (key_sha256).'),
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected the 64 hex digits of a SHA-256')
      .optional()
      .describe('The SHA-256 (hex) of the secret, instead of `key`: what the admin API stores.'),
    models: z.array(z.string().min(1)).default(['*']).describe('Aliases and provider/model names this key may use; "*" matches any run of characters ("openai/*").'),
    ...limitsShape,
    expires_at: z.iso.datetime({ offset: true }).optional().describe('After this time (ISO 8601) the key is refused (403).'),
    disabled: z.boolean().default(false).describe('A disabled key is refused (403) without being deleted.'),
    mcp: virtualKeyMcpSchema.optional().describe('MCP tools of this key (docs/mcp.md): the only servers it may use and gets, and tools the gateway runs itself.'),
    description: z.string().max(1000).optional().describe('Free text for people.'),
  })
  .strict();

export const governanceSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Every completion and embeddings request needs a virtual key (server.api_keys count as keys without limits); limits and budgets apply.'),
    counters: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('memory') }).strict(),
        z
          .object({
            type: z.literal('redis'),
            url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').describe('Redis URL shared by every replica, usually env.REDIS_URL.'),
            timeout_ms: z.number().int().positive().default(250).describe('Longest wait for one counter operation before the store counts as down.'),
            key_prefix: z.string().default('switchyard:gov:').describe('Prefix of every Redis key governance writes.'),
          })
          .strict(),
      ])
      .default({ type: 'memory' })
      .describe('Where counters live: memory (one replica; budgets and rate-limit windows are kept in storage.sqlite_path across restarts) or redis (shared by replicas, exact across them).'),
    on_counter_store_error: z
      .enum(['fail_open', 'fail_closed'])
      .default('fail_open')
      .describe('When Redis cannot be reached: fail_open serves with local counters (each replica applies its share of what was left of each limit, and adds what it counted to Redis when it returns), fail_closed refuses with 503.'),
    default_max_tokens: z.number().int().positive().default(4096).describe('Output tokens reserved for a request that sets no max_tokens (budgets and token limits reserve the worst case).'),
  })
  .strict();

export type GovernanceConfig = z.infer<typeof governanceSchema>;
export type TeamConfig = z.infer<typeof teamSchema>;
export type VirtualKeyConfig = z.infer<typeof virtualKeySchema>;
export type BudgetConfig = z.infer<typeof budgetSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;

/** Names of teams and virtual keys (ids in logs, metrics and URLs). */
export const GOVERNANCE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
export const GOVERNANCE_NAME_RULE = 'names use letters, digits, _ . - (at most 128) and start with a letter or digit';
