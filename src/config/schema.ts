/**
 * The configuration file's schema. Every object is strict (unknown keys are errors, with a
 * "did you mean" from the loader); defaults live here so the docs and the JSON Schema show them.
 * Secrets are written as "env.NAME" anywhere and resolved by the loader before validation.
 */
import { z } from 'zod';

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().min(0);

export const timeoutsSchema = z
  .object({
    connect_ms: positiveInt().default(2000).describe('Longest wait for a TCP/TLS connection to the provider.'),
    first_byte_ms: positiveInt()
      .default(10000)
      .describe('Longest wait from sending the request to the first content (first token) of the answer; then the attempt counts as failed and is retried or falls back.'),
    idle_ms: positiveInt().default(30000).describe('Longest silence between two chunks of a response body.'),
  })
  .strict();

export const retriesSchema = z
  .object({
    max: nonNegativeInt().default(1).describe('Retries after the first attempt on the same target.'),
    backoff_initial_ms: nonNegativeInt().default(200).describe('Wait before the first retry; later retries wait longer, up to backoff_max_ms.'),
    backoff_max_ms: nonNegativeInt().default(2000).describe('Longest wait between two retries.'),
  })
  .strict();

export const providerKeySchema = z
  .object({
    value: z.string().min(1).describe('The provider API key, usually "env.NAME".'),
    id: z.string().min(1).optional().describe('A name for the key in logs and metrics (never the key itself). Default: the provider name and index.'),
    weight: z.number().positive().default(1).describe('Relative share of requests among the keys that serve a model.'),
    models: z.array(z.string().min(1)).default(['*']).describe('Models this key may serve; "*" is any, "prefix*" a prefix.'),
  })
  .strict();

export const providerSchema = z
  .object({
    type: z.string().min(1).optional().describe('Provider type; defaults to the provider name when that is a known type.'),
    base_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Override of the provider's API base URL, http:// or https:// (its own SDK's convention: OpenAI's includes /v1)."),
    keys: z.array(providerKeySchema).default([]).describe('API keys for this provider; requests are spread over them by weight.'),
    models: z.array(z.string().min(1)).default([]).describe('Models listed by GET /v1/models for this provider.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra headers sent upstream on every request.'),
    timeouts: timeoutsSchema.default(timeoutsSchema.parse({})).describe('Fail-fast timeouts for requests to this provider.'),
    retries: retriesSchema.default(retriesSchema.parse({})).describe('Retries on the same target before falling back to the next one.'),
    stream_upstream: z
      .boolean()
      .default(true)
      .describe(
        'Stream from the provider even when the client asked for a whole response, and assemble it: first_byte_ms then means the first token, so a dead path fails fast without cutting long answers.',
      ),
    max_connections: positiveInt().default(256).describe('Most concurrent connections to this provider.'),
    anthropic_version: z.string().default('2023-06-01').describe('anthropic: the anthropic-version header.'),
    region: z
      .string()
      .min(1)
      .optional()
      .describe('bedrock: AWS region (endpoint bedrock-runtime.<region>.amazonaws.com). Default: AWS_REGION / AWS_DEFAULT_REGION from the environment.'),
    credentials: z
      .object({
        access_key_id: z.string().min(1).describe('bedrock: AWS access key id, usually "env.NAME".'),
        secret_access_key: z.string().min(1).describe('bedrock: AWS secret access key, usually "env.NAME".'),
        session_token: z.string().min(1).optional().describe('bedrock: AWS session token for temporary credentials.'),
      })
      .strict()
      .optional()
      .describe('bedrock: static AWS credentials for SigV4. Absent (and no keys): the AWS default chain (environment, shared profile, web identity, instance role).'),
    api_version: z
      .string()
      .min(1)
      .optional()
      .describe('azure: the api-version query parameter (default 2024-10-21; "v1" for the v1 API). gemini: the API version path (default v1beta).'),
    deployments: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('azure: model name → deployment name; a model not listed is its own deployment name.'),
    preset: z
      .string()
      .min(1)
      .optional()
      .describe('openai-compatible: a known host whose quirks apply (groq, mistral, deepseek, xai, openrouter, together, fireworks, cerebras, ollama, vllm). Default: none.'),
  })
  .strict();

export const targetSchema = z.union([
  z.string().min(1),
  z.object({ target: z.string().min(1).describe('"provider/model": the provider\'s name in this file, then the model name as that provider knows it.') }).strict(),
]);

export const aliasSchema = z
  .object({
    targets: z.array(targetSchema).min(1).describe('Ordered "provider/model" targets: the first is tried first.'),
    deadline_ms: positiveInt().optional().describe('Overall deadline for this alias, over all attempts.'),
    hedge_after_ms: positiveInt().optional().describe('Start the next target too when the current one has no first byte by then.'),
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
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, body_limit_bytes: 20 * 1024 * 1024, api_keys: [] })
      .describe('The HTTP server clients connect to.'),
    providers: z
      .record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'provider names use letters, digits, _ . - and start with a letter or digit'), providerSchema)
      .default({})
      .describe('Upstream providers by name; clients address their models as "name/model".'),
    models: z
      .record(z.string().min(1), aliasSchema)
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
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ProviderKeyConfig = z.infer<typeof providerKeySchema>;
export type AliasConfig = z.infer<typeof aliasSchema>;
export type TimeoutsConfig = z.infer<typeof timeoutsSchema>;
export type RetriesConfig = z.infer<typeof retriesSchema>;
