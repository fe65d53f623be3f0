/** Configuration of an `azure` (Azure OpenAI) provider. */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

export const azureProviderConfigSchema = defineProviderConfigSchema({
  types: ['azure'],
  fields: {
    api_version: z
      .string()
      .min(1)
      .optional()
      .describe('azure: the api-version query parameter (default 2024-10-21; "v1" for the v1 API). gemini: the API version path (default v1beta).'),
    deployments: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('azure: model name → deployment name; a model not listed is its own deployment name.'),
  },
});

export type AzureProviderConfig = z.infer<typeof azureProviderConfigSchema>;
