/** Configuration of a `gemini` provider (the Gemini API). */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

export const geminiProviderConfigSchema = defineProviderConfigSchema({
  types: ['gemini'],
  fields: {
    api_version: z
      .string()
      .min(1)
      .optional()
      .describe('azure: the api-version query parameter (default 2024-10-21; "v1" for the v1 API). gemini: the API version path (default v1beta).'),
  },
});

export type GeminiProviderConfig = z.infer<typeof geminiProviderConfigSchema>;
