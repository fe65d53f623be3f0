/**
 * Configuration of the OpenAI-compatible family: `openai-compatible` and every preset name (groq,
 * mistral, …) as a type of its own share one schema.
 */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';
import type { CompatiblePresetName } from './presets.js';
import { COMPATIBLE_PRESET_NAMES } from './presets.js';

const presetNames = COMPATIBLE_PRESET_NAMES as unknown as readonly [CompatiblePresetName, ...CompatiblePresetName[]];

export const openaiCompatibleProviderConfigSchema = defineProviderConfigSchema({
  types: presetNames,
  fields: {
    preset: z
      .enum(presetNames)
      .optional()
      .describe(
        `openai-compatible: a known host whose quirks apply (${COMPATIBLE_PRESET_NAMES.filter((n) => n !== 'openai-compatible').join(', ')}). Default: none.`,
      ),
  },
});

export type OpenAICompatibleProviderConfig = z.infer<typeof openaiCompatibleProviderConfigSchema>;
