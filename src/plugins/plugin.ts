/**
 * The plugin hook interface. Plugins observe (metrics, request log, tracing) or decide (auth,
 * limits, cache) at fixed points of the pipeline. Hooks must not block the response: anything
 * slow is queued and done off the hot path by the plugin itself.
 */
import type { ApiId } from '../core/dialect.js';
import type { ErrorCode } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { CoreResponse, FinishReason, Usage } from '../core/response.js';
import type { AttemptRecord } from '../routing/execute-chain.js';

/** Everything known about one finished request (success or failure). */
export interface RequestRecord {
  requestId: string;
  /** Epoch ms when the request arrived. */
  startedAt: number;
  dialect: ApiId;
  /** The model as the client asked for it. */
  requestedModel?: string;
  /** The alias name, when the model was an alias. */
  alias?: string;
  /** Provider and upstream model that answered (or last tried). */
  provider?: string;
  providerType?: string;
  upstreamModel?: string;
  stream: boolean;
  /** HTTP status returned to the client (200 for streams that committed, even if they broke later). */
  status: number;
  errorCode?: ErrorCode;
  errorMessage?: string;
  attempts: AttemptRecord[];
  /** 0 = the primary answered; > 0 = a fallback did. Undefined when nothing answered. */
  fallbackIndex?: number;
  /** Total time from arrival to the last byte written. */
  latencyMs: number;
  /** Time from arrival to the first content byte written (streams) or the response (non-stream). */
  ttftMs?: number;
  /** Time spent waiting on upstream (all attempts, including a stream's body). */
  upstreamMs: number;
  usage?: Usage;
  finishReason?: FinishReason;
  /** Client key id (never the key), when client authentication is on. */
  clientKeyId?: string;
  /** The team of the client's key, when it has one. */
  team?: string;
  /** What the response cache did: hit, semantic-hit, miss or bypass (undefined: no cache for this request). */
  cache?: 'hit' | 'semantic-hit' | 'miss' | 'bypass';
  /** Cosine similarity of a semantic hit. */
  cacheSimilarity?: number;
  /** What a cache hit would have cost upstream, in USD (the hit itself costs 0). */
  cacheSavedUsd?: number;
  /** Why the gateway itself made this request (e.g. `semantic-cache`), for requests it sends on its own. */
  purpose?: string;
  /** MCP tool calls the gateway ran for this request (auto_execute), in the order they started. */
  mcpCalls?: McpCallRecord[];
  /**
   * Every model call of a request that made several (the MCP tool loop), each with the target that
   * answered it: `usage` is their sum, and the cost the sum of each priced at its own target.
   */
  modelCalls?: ModelCallRecord[];
  /** A middleware rewrote the canonical request (raw same-dialect passthrough was off). */
  rewritten?: boolean;
  /** The canonical request and response, for plugins that log content. */
  request?: CoreRequest;
  response?: CoreResponse;
  /** Streamed text, when a content-logging plugin asked for it. */
  streamedText?: string;
  /** Fields the target could not carry. */
  unmapped?: string[];
  /** The model the upstream said answered (response `model`, or the stream's start event). */
  responseModel?: string;
  /** The client's W3C trace context headers, for tracing plugins. */
  traceparent?: string;
  tracestate?: string;
}

/** What is known when a request arrives (before parsing). */
export interface RequestStart {
  requestId: string;
  dialect: ApiId;
}

export interface GatewayPlugin {
  readonly name: string;
  /**
   * Called when a request arrives, before parsing; every start is followed by one onRequestEnd
   * (a plugin with this hook must have onRequestEnd too). Must not throw or block.
   */
  onRequestStart?(start: RequestStart): void;
  /** Set when the plugin wants `streamedText` on records of streamed answers (content logging). */
  readonly wantsStreamedText?: boolean;
  /** Called once per finished request, after the last byte was written. Must not throw or block. */
  onRequestEnd?(record: RequestRecord): void;
  /** Called when the gateway shuts down: flush queues. */
  close?(): Promise<void>;
}

/** One MCP tool call the gateway ran inside a request. Arguments and result are logged only with full content logging. */
export interface McpCallRecord {
  /** 1 = after the model's first answer. */
  round: number;
  /** The name the model called: `<server>__<tool>`. */
  name: string;
  server: string;
  /** The server's name for the tool. */
  tool: string;
  outcome: 'ok' | 'error' | 'timeout' | 'unavailable' | 'aborted';
  durationMs: number;
  /** When it started, in ms after the request arrived. */
  startMs: number;
  /** The result was longer than mcp.max_result_bytes and was cut. */
  truncated?: boolean;
  /** The arguments as the model wrote them (JSON text). */
  arguments?: string;
  /** The result's text as given to the model. */
  result?: string;
}

/** One model call of a request that made several. */
export interface ModelCallRecord {
  /** The target that answered; undefined when the call failed before one did. */
  provider?: string;
  providerType?: string;
  upstreamModel?: string;
  usage: Usage;
}
