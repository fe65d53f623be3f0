/**
 * What every provider type shares: keys, timeouts, retries, connection settings. Each provider
 * folder adds its own fields on top (`src/providers/<type>/<type>-config-schema.ts`) with
 * `defineProviderConfigSchema`, and src/config/schema.ts joins them into one union discriminated by
 * `type`, so a field of one type written on another is an unknown key.
 *
 * This module imports nothing from the rest of the config layer, so provider folders can import it
 * without a cycle through schema.ts.
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

/** Fields of every provider type, in the order the docs and error messages list them (after `type`). */
export const providerCommonShape = {
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
} as const;

const TYPE_DESCRIPTION = 'Provider type; defaults to the provider name when that is a known type.';

/**
 * One provider type's schema: `type` (one name, or several that share the fields), the common
 * fields, then the type's own. Strict: any other key is an error naming the type.
 */
export function defineProviderConfigSchema<const Types extends readonly [string, ...string[]], Fields extends z.ZodRawShape>(spec: {
  types: Types;
  fields: Fields;
}) {
  const type = spec.types.length === 1 ? z.literal(spec.types[0] as Types[0]) : z.enum(spec.types);
  return z
    .object({
      type: (type as z.ZodType<Types[number]>).describe(TYPE_DESCRIPTION),
      ...providerCommonShape,
      ...spec.fields,
    })
    .strict();
}

export type TimeoutsConfig = z.infer<typeof timeoutsSchema>;
export type RetriesConfig = z.infer<typeof retriesSchema>;
export type ProviderKeyConfig = z.infer<typeof providerKeySchema>;
