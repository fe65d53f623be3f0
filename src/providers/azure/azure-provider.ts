/**
 * Azure OpenAI as configuration of the OpenAI provider: the chat path names the deployment
 * (`/openai/deployments/{deployment}/chat/completions?api-version=...`), the key goes in `api-key`.
 * `deployments` maps model names to deployment names (default: the model name). With
 * `api_version: v1` the newer v1 API is used (`/openai/v1/chat/completions`, model in the body).
 */
import { createOpenAIProvider } from '../openai/openai-provider.js';
import { createOpenAIEmbeddings, withEmbeddings } from '../openai-compatible/openai-embeddings.js';
import type { ProviderAdapter } from '../provider-adapter.js';

export interface AzureProviderOptions {
  name: string;
  /** https://{resource}.openai.azure.com (or a cognitiveservices / APIM URL), without /openai. */
  baseUrl?: string;
  apiVersion?: string;
  /** Model → deployment name. */
  deployments?: Record<string, string>;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
}

/** A current GA api-version of the Azure OpenAI data-plane API. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export function azureAuth(key: string): Record<string, string> {
  return key ? { 'api-key': key } : {};
}

export function createAzureProvider(options: AzureProviderOptions): ProviderAdapter {
  const { name } = options;
  if (!options.baseUrl) throw new Error(`providers.${name}.base_url: required for type azure (https://<resource>.openai.azure.com)`);
  const base = options.baseUrl.replace(/\/+$/, '');
  const apiVersion = options.apiVersion ?? AZURE_DEFAULT_API_VERSION;
  const v1 = apiVersion === 'v1';
  const deployments = options.deployments ?? {};
  const deploymentName = (model: string) => deployments[model] ?? model;
  const deployment = (model: string) => encodeURIComponent(deploymentName(model));
  const common = {
    name,
    baseUrl: base,
    connectTimeoutMs: options.connectTimeoutMs,
    maxConnections: options.maxConnections,
    ...(options.headers ? { headers: options.headers } : {}),
    authHeaders: azureAuth,
  };
  const chat = createOpenAIProvider({
    ...common,
    type: 'azure',
    ...(v1
      ? {
          chatPath: '/openai/v1/chat/completions',
          adjustBody: (body: Record<string, unknown>) => {
            if (typeof body.model === 'string') body.model = deploymentName(body.model);
          },
        }
      : { chatPathFor: (model: string) => `/openai/deployments/${deployment(model)}/chat/completions`, query: `api-version=${encodeURIComponent(apiVersion)}` }),
  });
  const embedder = createOpenAIEmbeddings(
    v1
      ? { ...common, pathFor: () => '/openai/v1/embeddings', modelFor: deploymentName }
      : { ...common, pathFor: (model) => `/openai/deployments/${deployment(model)}/embeddings`, query: `api-version=${encodeURIComponent(apiVersion)}` },
  );
  return withEmbeddings(chat, embedder);
}
