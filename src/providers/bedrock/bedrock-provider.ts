/**
 * The AWS Bedrock provider: Converse (`POST /model/{modelId}/converse`) and ConverseStream
 * (`/converse-stream`, a binary AWS event stream), plus embeddings through InvokeModel. Requests
 * are signed with SigV4 (service `bedrock`), or carry a Bedrock API key as a bearer token when the
 * provider has `keys`. Model ids and inference profile ids/ARNs are URL-encoded into the path.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { GatewayError } from '../../core/errors.js';
import type { CoreRequest } from '../../core/request.js';
import type { ProviderAdapter, ProviderCallContext, ProviderResult } from '../provider-adapter.js';
import { headerValue, parseJsonBody, readBodyText, UpstreamClient } from '../shared/upstream-client.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';
import { bedrockEmbed } from './bedrock-embeddings.js';
import { convertToBedrockRequest } from './convert-to-bedrock-request.js';
import { createEventStreamUpstream } from './event-stream-upstream.js';
import { mapBedrockHttpError } from './map-bedrock-error.js';
import { mapBedrockResponse } from './map-bedrock-response.js';
import { createBedrockStreamMapper } from './map-bedrock-stream.js';
import { createBedrockSigner } from './sign-bedrock-request.js';
import type { BedrockSigner, StaticAwsCredentials } from './sign-bedrock-request.js';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

export interface BedrockProviderOptions {
  name: string;
  /** AWS region, e.g. us-east-1: the endpoint is https://bedrock-runtime.{region}.amazonaws.com. */
  region?: string;
  /** Override of the endpoint (tests, VPC endpoints, proxies). */
  baseUrl?: string;
  credentials?: StaticAwsCredentials;
  /** Replaces the AWS default credential chain (tests). */
  credentialProvider?: AwsCredentialIdentityProvider;
  connectTimeoutMs: number;
  maxConnections: number;
  headers?: Record<string, string>;
  /** Environment to read AWS_REGION / AWS_DEFAULT_REGION from when `region` is absent. */
  env?: Record<string, string | undefined>;
}

/** us-east-1, eu-central-2, us-gov-west-1, ap-southeast-7 ...: what goes into the endpoint and the signature. */
const AWS_REGION_NAME = /^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/;

/** The region used for signing when only base_url is configured. */
const FALLBACK_SIGNING_REGION = 'us-east-1';

export function bedrockEndpoint(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** `/model/{modelId}/{action}` with the id URL-encoded (ids hold `:`, ARNs hold `/`). */
export function bedrockModelPath(model: string, action: 'converse' | 'converse-stream' | 'invoke' | 'count-tokens'): string {
  return `/model/${encodeURIComponent(model)}/${action}`;
}

export function createBedrockProvider(options: BedrockProviderOptions): ProviderAdapter {
  const name = options.name;
  const env = options.env ?? process.env;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region && !options.baseUrl) {
    throw new Error(`providers.${name}.region: required for type bedrock (or set base_url, or AWS_REGION in the environment)`);
  }
  // A malformed region would otherwise surface as "Invalid URL" here, or as a DNS or signature
  // failure on every request. The value is not echoed: it may come from the environment.
  if (region && !AWS_REGION_NAME.test(region)) {
    const where = options.region !== undefined ? '' : ' (read from AWS_REGION / AWS_DEFAULT_REGION)';
    throw new Error(`providers.${name}.region: not an AWS region name${where}; write it like us-east-1 or eu-central-1`);
  }
  const baseUrl = options.baseUrl ?? bedrockEndpoint(region!);
  const url = new URL(baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const client = new UpstreamClient({ baseUrl, provider: name, connectTimeoutMs: options.connectTimeoutMs, maxConnections: options.maxConnections });
  const extraHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) extraHeaders[k.toLowerCase()] = v;
  let signer: BedrockSigner | undefined;
  const sign = (): BedrockSigner =>
    (signer ??= createBedrockSigner({
      region: region ?? FALLBACK_SIGNING_REGION,
      provider: name,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.credentialProvider ? { credentialProvider: options.credentialProvider } : {}),
    }));

  /** Signs (or, with an API key, authorizes) and sends one request. */
  const post = async (path: string, body: string, accept: string, ctx: ProviderCallContext): Promise<UpstreamResponse> => {
    let headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/json', accept };
    if (ctx.key.value) headers.authorization = `Bearer ${ctx.key.value}`;
    else headers = await sign()({ method: 'POST', host: url.host, path: prefix + path, headers, body });
    const res = await client.request({ path, headers, body, signal: ctx.signal, timeouts: ctx.timeouts });
    if (res.status >= 400) {
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      throw mapBedrockHttpError({ status: res.status, headers: res.headers, text, provider: name });
    }
    return res;
  };

  return {
    name,
    type: 'bedrock',
    async send(req: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult> {
      const { body, unmapped } = convertToBedrockRequest(req, name);
      const payload = JSON.stringify(body);
      const result = unmapped.length > 0 ? { unmapped } : {};
      if (req.stream) {
        const res = await post(bedrockModelPath(ctx.model, 'converse-stream'), payload, 'application/vnd.amazon.eventstream', ctx);
        const requestId = headerValue(res.headers, 'x-amzn-requestid');
        const mapper = createBedrockStreamMapper({ provider: name, model: ctx.model, ...(requestId ? { requestId } : {}) });
        const stream = createEventStreamUpstream({ body: res.body, mapper, provider: name, signal: ctx.signal, timeouts: ctx.timeouts });
        return { kind: 'stream', stream, ...result };
      }
      const res = await post(bedrockModelPath(ctx.model, 'converse'), payload, 'application/json', ctx);
      const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
      const requestId = headerValue(res.headers, 'x-amzn-requestid');
      const response = mapBedrockResponse(parseJsonBody(text, name), { provider: name, model: ctx.model, ...(requestId ? { requestId } : {}) });
      return { kind: 'response', response, ...result };
    },
    async countTokens(req: CoreRequest, ctx: ProviderCallContext): Promise<number> {
      const { body } = convertToBedrockRequest(req, name);
      const converse: Record<string, unknown> = { messages: body.messages };
      if (body.system !== undefined) converse.system = body.system;
      if (body.toolConfig !== undefined) converse.toolConfig = body.toolConfig;
      const res = await post(bedrockModelPath(ctx.model, 'count-tokens'), JSON.stringify({ input: { converse } }), 'application/json', ctx);
      const json = parseJsonBody(await readBodyText(res, name, ctx.signal, ctx.timeouts), name) as { inputTokens?: unknown };
      if (typeof json.inputTokens !== 'number') throw new GatewayError('GW_ERR_UPSTREAM_PROTOCOL', `${name}: CountTokens answer has no inputTokens`, { provider: name });
      return json.inputTokens;
    },
    async embed(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResponse> {
      const path = bedrockModelPath(ctx.model, 'invoke');
      return bedrockEmbed({
        request,
        model: ctx.model,
        provider: name,
        invoke: async (body) => {
          const res = await post(path, JSON.stringify(body), 'application/json', ctx);
          const text = await readBodyText(res, name, ctx.signal, ctx.timeouts);
          const count = Number(headerValue(res.headers, 'x-amzn-bedrock-input-token-count'));
          return { json: parseJsonBody(text, name), ...(Number.isFinite(count) && count >= 0 ? { inputTokens: count } : {}) };
        },
      });
    },
    close: () => client.close(),
  };
}
