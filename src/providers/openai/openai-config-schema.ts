/** Configuration of an `openai` provider: the common provider fields, and which OpenAI API it calls. */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

const openaiApi = z.enum(['chat', 'responses']);

export const openaiProviderConfigSchema = defineProviderConfigSchema({
  types: ['openai'],
  fields: {
    api: openaiApi
      .default('chat')
      .describe(
        'Which OpenAI API requests go to: "chat" (POST /chat/completions) or "responses" (POST /responses; Responses-only models, and Responses clients passed through unchanged).',
      ),
    model_api: z
      .record(z.string().min(1), openaiApi)
      .default({})
      .describe('Per-model override of `api`, by model name or "prefix*" (e.g. {"o3-pro*": responses}).'),
  },
});

export type OpenAIProviderConfig = z.infer<typeof openaiProviderConfigSchema>;
