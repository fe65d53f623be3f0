/**
 * AWS Signature Version 4 for Bedrock requests (service `bedrock`). Credentials come from the
 * config (`credentials`), else from the standard AWS chain (environment, shared profile, web
 * identity on EKS, container and instance metadata), loaded on first use and cached by the chain
 * until they expire.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { GatewayError } from '../../core/errors.js';

export interface StaticAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BedrockSignerOptions {
  region: string;
  /** Static credentials; when absent the AWS default chain is used. */
  credentials?: StaticAwsCredentials;
  /** Replaces the default chain (tests). */
  credentialProvider?: AwsCredentialIdentityProvider;
  provider: string;
}

export interface SignableRequest {
  method: 'POST' | 'GET';
  /** Host the request goes to (signed as the `host` header). */
  host: string;
  /** Path as sent, already URI-encoded (e.g. /model/anthropic.claude-3%3A0/converse). */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type BedrockSigner = (req: SignableRequest) => Promise<Record<string, string>>;

/** The AWS default credential chain, loaded lazily (the SDK modules are only imported when needed). */
function defaultChain(): AwsCredentialIdentityProvider {
  let provider: Promise<AwsCredentialIdentityProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-providers').then((m) => m.fromNodeProviderChain());
    return (await provider)();
  };
}

export function createBedrockSigner(options: BedrockSignerOptions): BedrockSigner {
  const { provider } = options;
  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  if (options.credentials) credentials = { ...options.credentials };
  else credentials = options.credentialProvider ?? defaultChain();

  const signer = new SignatureV4({ credentials, region: options.region, service: 'bedrock', sha256: Sha256 });

  return async (req) => {
    try {
      const signed = await signer.sign({
        method: req.method,
        protocol: 'https:',
        hostname: req.host,
        path: req.path,
        query: {},
        headers: { ...req.headers, host: req.host },
        body: req.body,
      } as Parameters<SignatureV4['sign']>[0]);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed.headers as Record<string, string>)) if (k !== 'host') headers[k] = v;
      return headers;
    } catch (err) {
      throw new GatewayError('GW_ERR_UPSTREAM_AUTH', `${provider}: could not sign the request with AWS credentials: ${(err as Error).message}`, {
        provider,
        cause: err,
      });
    }
  };
}
