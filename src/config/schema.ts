/**
 * The configuration file's schema. Every object is strict (unknown keys are errors, with a
 * "did you mean" from the loader); defaults live here so the docs and the JSON Schema show them.
 * Secrets are written as "env.NAME" anywhere and resolved by the loader before validation.
 */
import { GOVERNANCE_NAME, GOVERNANCE_NAME_RULE, governanceSchema, teamSchema, virtualKeySchema } from '../governance/governance-schema.js';
import { aliasCacheSchema, CACHE_DEFAULTS, cacheSchema } from '../cache/cache-schema.js';
import { MCP_DEFAULTS, mcpSchema, mcpUseSchema } from '../mcp/mcp-schema.js';
import { z } from 'zod';
import { anthropicProviderConfigSchema } from '../providers/anthropic/anthropic-config-schema.js';
import { azureProviderConfigSchema } from '../providers/azure/azure-config-schema.js';
import { bedrockProviderConfigSchema } from '../providers/bedrock/bedrock-config-schema.js';
import { geminiProviderConfigSchema } from '../providers/gemini/gemini-config-schema.js';
import { openaiProviderConfigSchema } from '../providers/openai/openai-config-schema.js';
import { openaiCompatibleProviderConfigSchema } from '../providers/openai-compatible/openai-compatible-config-schema.js';
import { MAX_MODEL_NAME_LENGTH } from '../core/model-name.js';
import { providerKeySchema, retriesSchema, timeoutsSchema } from './provider-common-schema.js';

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().min(0);

export { providerKeySchema, retriesSchema, timeoutsSchema } from './provider-common-schema.js';

/**
 * A provider: one schema per type, each in its provider's folder, discriminated by `type`. The
 * loader fills `type` from the provider's name (when that is a known type) before validation; see
 * withDefaultProviderType.
 */
export const providerSchema = z
  .discriminatedUnion('type', [
    openaiProviderConfigSchema,
    anthropicProviderConfigSchema,
    bedrockProviderConfigSchema,
    geminiProviderConfigSchema,
    azureProviderConfigSchema,
    openaiCompatibleProviderConfigSchema,
  ])
  .describe('An upstream provider; which keys it takes depends on its type.');

/** Every provider type the schema knows, in the order error messages list them. */
export const PROVIDER_TYPES: readonly string[] = Object.freeze([...(providerSchema._zod.propValues['type'] ?? [])].map(String));

/**
 * A provider entry as written, with `type` set to the provider's name when it has none and the name
 * is a known type (`providers.openai: {}` is an openai provider). Anything else is returned as is,
 * for the schema to report. Run before validating a provider, so the union can discriminate.
 */
export function withDefaultProviderType(name: string, entry: unknown, knownTypes: readonly string[] = PROVIDER_TYPES): unknown {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry;
  if ((entry as Record<string, unknown>)['type'] !== undefined || !knownTypes.includes(name)) return entry;
  return { type: name, ...(entry as Record<string, unknown>) };
}


export const targetSchema = z.union([
  z.string().min(1),
  z.object({ target: z.string().min(1).describe('"provider/model": the provider\'s name in this file, then the model name as that provider knows it.') }).strict(),
]);

export const aliasSchema = z
  .object({
    targets: z.array(targetSchema).min(1).describe('Ordered "provider/model" targets: the first is tried first.'),
    deadline_ms: positiveInt().optional().describe('Overall deadline for this alias, over all attempts.'),
    hedge_after_ms: positiveInt().optional().describe('Start the next target too when the current one has no first byte by then.'),
    cache: aliasCacheSchema
      .optional()
      .describe('Response cache for this alias: false turns it off, true or an object turns it on (even when cache.enabled is false) with these overrides.'),
    mcp: mcpUseSchema.optional().describe('MCP tools for this alias: the servers whose tools its requests get, and the tools the gateway runs itself (docs/mcp.md).'),
  })
  .strict();

/** A manual breaker override's name: a target "provider/model" or a provider "provider". */
export const BREAKER_OVERRIDE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}(\/[^\s]{1,256})?$/;
export const BREAKER_OVERRIDE_RULE = 'a breaker override is named after a target ("provider/model") or a provider ("provider")';

export const breakerOverrideSchema = z
  .object({
    state: z.literal('open').default('open').describe('"open": the target is out of rotation (skipped like an open breaker). To put it back, remove the entry.'),
    reason: z.string().max(500).optional().describe('Why it was taken out (shown in the console and the config history).'),
  })
  .strict();

export const drainSchema = z
  .object({
    accept_ms: nonNegativeInt()
      .default(5000)
      .describe('After the signal, /readyz answers 503 at once but new connections are still accepted this long, for load balancers slow to notice.'),
    timeout_ms: positiveInt()
      .default(60000)
      .describe(
        'Longest drain, counted from the signal: requests and streams still running then end with GW_ERR_SHUTTING_DOWN (an error event in a stream). Keep it below the orchestrator\'s grace period.',
      ),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Address to listen on; 0.0.0.0 for all interfaces.'),
        port: z.number().int().min(0).max(65535).default(8080).describe('TCP port to listen on; 0 picks a free port.'),
        body_limit_bytes: positiveInt().default(20 * 1024 * 1024).describe('Largest request body accepted (413 above).'),
        api_keys: z
          .array(z.string().min(1))
          .default([])
          .describe('Keys clients must present (Authorization: Bearer or x-api-key). Empty: no client authentication.'),
        admin_token: z.string().min(1).optional().describe('Bearer token for the admin API (/api/*). Unset: the admin API is off (403).'),
        admin_read_token: z
          .string()
          .min(1)
          .optional()
          .describe('Bearer token for read-only use of the admin API: GET /api/* only (writes answer 403). Unset: only admin_token reads.'),
        header_limit_bytes: positiveInt().default(16384).describe('Largest request line plus headers accepted (431 above).'),
        headers_timeout_ms: positiveInt().default(20000).describe('Longest time a client may take to send its request headers (408 and the connection closed after).'),
        request_timeout_ms: positiveInt()
          .default(60000)
          .describe('Longest time a client may take to send its whole request, headers and body (408 after). Does not limit the response: long streams run on.'),
        keep_alive_timeout_ms: positiveInt()
          .default(65000)
          .describe('How long an idle keep-alive connection is kept between requests; above the idle timeout of the load balancer in front.'),
        max_connections: positiveInt().default(8192).describe('Most open client connections; connections above it are closed at once.'),
        max_json_depth: positiveInt().default(128).describe('Deepest nesting of objects and arrays accepted in a request body (400 GW_ERR_JSON_TOO_DEEP above).'),
        drain: drainSchema.default({ accept_ms: 5000, timeout_ms: 60000 }).describe('Graceful shutdown on SIGTERM and SIGINT.'),
        ui: z.boolean().default(true).describe('Serve the web console at /ui/ (static files; it signs in with admin_token or admin_read_token). false: /ui/ answers 404.'),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 8080,
        body_limit_bytes: 20 * 1024 * 1024,
        api_keys: [],
        header_limit_bytes: 16384,
        headers_timeout_ms: 20000,
        request_timeout_ms: 60000,
        keep_alive_timeout_ms: 65000,
        max_connections: 8192,
        max_json_depth: 128,
        drain: { accept_ms: 5000, timeout_ms: 60000 },
        ui: true,
      })
      .describe('The HTTP server clients connect to.'),
    providers: z
      .record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'provider names use letters, digits, _ . - and start with a letter or digit'), providerSchema)
      .default({})
      .describe('Upstream providers by name; clients address their models as "name/model".'),
    models: z
      .record(z.string().min(1).max(MAX_MODEL_NAME_LENGTH, `alias names are at most ${MAX_MODEL_NAME_LENGTH} characters long (clients send them as "model")`), aliasSchema)
      .default({})
      .describe('Model aliases: a name clients send as "model", routed to an ordered list of targets.'),
    routing: z
      .object({
        deadline_ms: positiveInt().default(25000).describe('Overall deadline for a request over all retries and fallbacks.'),
        max_deadline_ms: positiveInt().default(300000).describe('Cap on the x-switchyard-deadline-ms request header.'),
        circuit_breaker: z
          .object({
            failure_threshold: positiveInt().default(5).describe('Consecutive failures of a target that open its circuit breaker.'),
            cooldown_ms: positiveInt().default(30000).describe('How long an open breaker skips its target before letting a trial request through.'),
          })
          .strict()
          .default({ failure_threshold: 5, cooldown_ms: 30000 })
          .describe('Stops sending requests to a target that keeps failing.'),
      })
      .strict()
      .default({ deadline_ms: 25000, max_deadline_ms: 300000, circuit_breaker: { failure_threshold: 5, cooldown_ms: 30000 } })
      .describe('Deadlines and failure handling across targets.'),
    logging: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Least severe level written to the log.'),
        content: z
          .enum(['none', 'metadata', 'full'])
          .default('metadata')
          .describe('How much of each request the request log keeps: none (routing, timing, tokens, cost), metadata (plus parameters and error messages, no text), full (plus request and response bodies).'),
        retention_days: nonNegativeInt().default(30).describe('Request-log rows older than this many days are deleted (checked hourly); 0 keeps them forever.'),
        queue_size: positiveInt()
          .default(10000)
          .describe('Most request-log rows waiting to be written; when full, new rows are dropped and counted (switchyard_request_log_dropped_total) rather than slowing requests.'),
        flush_interval_ms: positiveInt().default(1000).describe('How often queued request-log rows are written to the database.'),
      })
      .strict()
      .default({ level: 'info', content: 'metadata', retention_days: 30, queue_size: 10000, flush_interval_ms: 1000 })
      .describe('Gateway logging and the request log.'),
    storage: z
      .object({
        sqlite_path: z.string().min(1).default('./data/switchyard.db').describe('SQLite file for the request log (its directory is created); ":memory:" keeps it in memory. Used unless postgres_url is set.'),
        postgres_url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
          .optional()
          .describe('Postgres connection URL for the request log, shared by replicas; usually "env.NAME". When set, SQLite is not used.'),
      })
      .strict()
      .default({ sqlite_path: './data/switchyard.db' })
      .describe('Where the request log is stored.'),
    responses: z
      .object({
        store: z
          .boolean()
          .default(true)
          .describe(
            'Keep Responses-API responses the client asks to store (`store`, default true) in the storage database, for previous_response_id and GET /v1/responses/{id}. false: nothing is kept and previous_response_id is refused.',
          ),
        retention_days: nonNegativeInt().default(30).describe('Stored responses older than this many days are deleted (checked hourly); 0 keeps them until deleted.'),
      })
      .strict()
      .default({ store: true, retention_days: 30 })
      .describe('Conversation state of the OpenAI Responses API (POST /v1/responses).'),
    telemetry: z
      .object({
        otlp_endpoint: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('OTLP/HTTP endpoint of an OpenTelemetry collector (e.g. http://collector:4318); traces are exported to <endpoint>/v1/traces. Unset: no tracing.'),
        service_name: z.string().min(1).default('switchyard').describe('service.name of the exported spans.'),
      })
      .strict()
      .default({ service_name: 'switchyard' })
      .describe('OpenTelemetry tracing.'),
    pricing: z
      .object({
        overrides: z
          .record(
            z.string().min(1),
            z
              .object({
                input: z.number().min(0).describe('USD per million input tokens.'),
                output: z.number().min(0).describe('USD per million output tokens.'),
                cached_input: z.number().min(0).optional().describe('USD per million input tokens read from the prompt cache. Default: input.'),
                cache_write: z.number().min(0).optional().describe('USD per million input tokens written to the prompt cache. Default: input.'),
              })
              .strict(),
          )
          .default({})
          .describe('Prices by "provider/model" (provider as named in this file) or by model name; they win over the shipped table.'),
      })
      .strict()
      .default({ overrides: {} })
      .describe('Cost of requests in USD.'),
    metrics: z
      .object({
        enabled: z.boolean().default(true).describe('Serve Prometheus metrics at GET /metrics.'),
      })
      .strict()
      .default({ enabled: true })
      .describe('Prometheus metrics.'),
    governance: governanceSchema
      .default({ enabled: false, counters: { type: 'memory' }, on_counter_store_error: 'fail_open', default_max_tokens: 4096 })
      .describe('Virtual keys, budgets and rate limits (docs/governance.md).'),
    cache: cacheSchema.default(CACHE_DEFAULTS).describe('Exact and semantic response cache, per tenant (docs/cache.md).'),
    mcp: mcpSchema.default(MCP_DEFAULTS).describe('MCP gateway: servers connected once, their tools given to models, run by the client or the gateway, and served at /mcp (docs/mcp.md).'),
    teams: z
      .record(z.string().regex(GOVERNANCE_NAME, GOVERNANCE_NAME_RULE), teamSchema)
      .default({})
      .describe('Teams by name: budgets and limits shared by their virtual keys.'),
    virtual_keys: z
      .record(z.string().regex(GOVERNANCE_NAME, GOVERNANCE_NAME_RULE), virtualKeySchema)
      .default({})
      .describe('Virtual keys by name (the id in logs and metrics): what a client may use, and its limits.'),
    breaker_overrides: z
      .record(z.string().regex(BREAKER_OVERRIDE_NAME, BREAKER_OVERRIDE_RULE), breakerOverrideSchema)
      .default({})
      .describe('Targets ("provider/model") or whole providers ("provider") taken out of rotation by hand: routing skips them as if their circuit breaker were open, until the entry is removed.'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ProviderKeyConfig = z.infer<typeof providerKeySchema>;
export type AliasConfig = z.infer<typeof aliasSchema>;
export type TimeoutsConfig = z.infer<typeof timeoutsSchema>;
export type RetriesConfig = z.infer<typeof retriesSchema>;
