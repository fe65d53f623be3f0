/**
 * What the pipeline produces for one request: a whole response, a stream of canonical events, or
 * (embeddings) a vector response. A middleware refuses by throwing a GatewayError.
 */
import type { DialectId } from '../core/dialect.js';
import type { EmbeddingsResponse } from '../core/embeddings.js';
import type { CoreResponse } from '../core/response.js';
import type { RawBody, StreamSink } from '../providers/provider-adapter.js';
import type { Target } from '../routing/runtime.js';

/** Which target answered, after how many tries. */
export interface RouteInfo {
  target: Target;
  /** 0 = the primary answered. */
  fallbackIndex: number;
  /** Attempts of the call that answered (the context holds those of every call). */
  attemptCount: number;
}

/**
 * A stream of canonical events past its commit point: the upstream's (from the core step) or one a
 * middleware made. Push-based like the upstream streams: `start` once, then frames flow to the sink.
 */
export interface EventStream {
  /** The client dialect whose raw bytes the frames carry, when they do (same-dialect passthrough). */
  readonly nativeDialect?: DialectId;
  start(sink: StreamSink): void;
  pause(): void;
  resume(): void;
  /** Stops delivery and cancels the source (the client went away, or the gateway is stopping). */
  abort(): void;
}

export type ChatResult =
  | { kind: 'response'; response: CoreResponse; raw?: RawBody; unmapped?: string[]; route?: RouteInfo }
  | { kind: 'stream'; stream: EventStream; unmapped?: string[]; route?: RouteInfo };

export interface EmbeddingsResult {
  kind: 'embeddings';
  response: EmbeddingsResponse;
  route?: RouteInfo;
}

export type PipelineResult = ChatResult | EmbeddingsResult;
