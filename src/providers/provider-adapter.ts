/**
 * The interface every upstream provider implements. A provider converts the canonical request to
 * its wire format, calls upstream through undici, and maps the answer back to canonical form.
 * Providers never see the client's HTTP request: they get the canonical request and a context.
 */
import type { DialectId } from '../core/dialect.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import type { GatewayError } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { CoreResponse } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';
import type { Logger } from '../observability/logger.js';

export interface ProviderKey {
  /** Name for logs and metrics; never the secret. */
  id: string;
  value: string;
}

export interface Timeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

export interface ProviderCallContext {
  /** The upstream model id (the part after `provider/`). */
  model: string;
  key: ProviderKey;
  /** Aborted when the client goes away, the deadline passes or a hedge loses. */
  signal: AbortSignal;
  /** Per-attempt timeouts, already capped by what is left of the deadline. */
  timeouts: Timeouts;
  logger: Logger;
}

/** The upstream's own bytes for a non-stream response, forwarded as is to a client of the same dialect. */
export interface RawBody {
  dialect: DialectId;
  body: string;
}

/**
 * One upstream stream message as canonical events. For a client of the same dialect, `raw` holds
 * the upstream's bytes to write as they are: the bytes of several messages may ride on the last
 * frame they produced, and a frame without `raw` writes nothing (a provider uses that to hide what
 * it asked for on its own, like an OpenAI usage chunk).
 */
export interface StreamFrame {
  events: StreamEvent[];
  raw?: { dialect: DialectId; bytes: Uint8Array };
}

export interface StreamSink {
  frame(frame: StreamFrame): void;
  /** Upstream finished cleanly (a finish event was seen). */
  end(): void;
  /** Upstream broke (network, idle timeout, truncated stream, unparseable data). */
  error(err: GatewayError): void;
  /**
   * Every frame of one upstream network chunk has been delivered: a sink that buffers (the client
   * writer) writes now, so one chunk costs one socket write however many events it held.
   */
  flush?(): void;
}

/** A live upstream stream, push-based: no promise or WHATWG stream per chunk. */
export interface UpstreamStream {
  /** Begin delivering frames to the sink. Called once. */
  start(sink: StreamSink): void;
  /** Replace the sink (after the commit point, from the peeking buffer to the client writer). */
  setSink(sink: StreamSink): void;
  pause(): void;
  resume(): void;
  /** Abort the upstream request and release the connection. */
  abort(): void;
}

/**
 * `unmapped` names what the request carried that this provider could not (client fields with no
 * counterpart upstream); the gateway reports it to the client and the log, never drops it silently.
 */
export type ProviderResult =
  | { kind: 'response'; response: CoreResponse; raw?: RawBody; unmapped?: string[] }
  | { kind: 'stream'; stream: UpstreamStream; unmapped?: string[] };

export interface ProviderAdapter {
  /** The configured provider name (`providers.<name>`). */
  readonly name: string;
  /** The provider type (openai, anthropic, ...). */
  readonly type: string;
  /** A client dialect this provider speaks natively: its requests are forwarded without re-mapping. */
  readonly nativeDialect?: DialectId;
  /** Sends one attempt. Rejects with a GatewayError for any failure before a result exists. */
  send(request: CoreRequest, ctx: ProviderCallContext): Promise<ProviderResult>;
  /**
   * Embeds the inputs (POST /v1/embeddings). Absent when the provider has no embeddings API: the
   * gateway then answers GW_ERR_UNSUPPORTED for this target and tries the next one.
   */
  embed?(request: EmbeddingsRequest, ctx: ProviderCallContext): Promise<EmbeddingsResponse>;
  /**
   * Counts the input tokens of a request with the upstream's own counting API (`count_tokens`,
   * Bedrock CountTokens, Gemini countTokens). Absent when the provider has none: the gateway then
   * estimates (src/count-tokens/count-tokens.ts).
   */
  countTokens?(request: CoreRequest, ctx: ProviderCallContext): Promise<number>;
  close(): Promise<void>;
}
