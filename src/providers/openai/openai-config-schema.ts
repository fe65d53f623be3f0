/** Configuration of an `openai` provider: the common provider fields, nothing of its own. */
import type { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

export const openaiProviderConfigSchema = defineProviderConfigSchema({ types: ['openai'], fields: {} });

export type OpenAIProviderConfig = z.infer<typeof openaiProviderConfigSchema>;
