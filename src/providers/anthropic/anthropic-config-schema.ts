/** Configuration of an `anthropic` provider. */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

export const anthropicProviderConfigSchema = defineProviderConfigSchema({
  types: ['anthropic'],
  fields: {
    anthropic_version: z.string().min(1).default('2023-06-01').describe('anthropic: the anthropic-version header.'),
  },
});

export type AnthropicProviderConfig = z.infer<typeof anthropicProviderConfigSchema>;
