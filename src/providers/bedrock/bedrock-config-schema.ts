/**
 * Configuration of a `bedrock` provider (Amazon Bedrock's Converse API). Only zod here: the
 * provider's own code (SigV4, the event-stream codec) is loaded when a config uses the type.
 */
import { z } from 'zod';
import { defineProviderConfigSchema } from '../../config/provider-common-schema.js';

export const bedrockProviderConfigSchema = defineProviderConfigSchema({
  types: ['bedrock'],
  fields: {
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
  },
});

export type BedrockProviderConfig = z.infer<typeof bedrockProviderConfigSchema>;
