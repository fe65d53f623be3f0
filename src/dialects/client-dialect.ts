/**
 * A client dialect: the wire format an SDK speaks to the gateway. It parses requests into the
 * canonical model (strictly: a clear 4xx naming the field), formats canonical responses, encodes
 * canonical stream events as the SSE sequence its SDK expects, and formats errors its SDK reads.
 */
import type { DialectId } from '../core/dialect.js';
import type { GatewayError } from '../core/errors.js';
import type { CoreRequest } from '../core/request.js';
import type { CoreResponse } from '../core/response.js';
import type { StreamEvent } from '../core/stream-event.js';

export interface FormatContext {
  /** The model as the client asked for it (alias or provider/model). */
  requestModel: string;
  /** The request, for options that shape the answer (e.g. stream usage). */
  request: CoreRequest;
}

/**
 * Encodes one answer's events for the client: SSE text for most dialects, bytes for binary
 * streams (Bedrock's application/vnd.amazon.eventstream). Empty text or bytes write nothing.
 */
export interface StreamEncoder<Out extends string | Uint8Array = string | Uint8Array> {
  /** SSE text (or frames) for one canonical event ('' when the dialect has nothing to say for it). */
  encode(event: StreamEvent): Out;
  /** SSE text (or a frame) for an error after the commit point; the stream closes after it. */
  encodeError(error: GatewayError): Out;
  /** SSE text (or frames) after the last event (e.g. OpenAI's `data: [DONE]`). */
  end(): Out;
}

export interface ClientDialect {
  readonly id: DialectId;
  /** Parses and validates a client body. Throws GatewayError (400, `param` set) on bad input. */
  parseRequest(body: unknown): CoreRequest;
  /** The JSON body for a canonical non-stream response. */
  formatResponse(response: CoreResponse, ctx: FormatContext): unknown;
  createStreamEncoder(ctx: FormatContext): StreamEncoder;
  /** The JSON error body this dialect's SDK reads. */
  formatError(error: GatewayError): unknown;
  /** Content type of a streamed answer, when not SSE (`text/event-stream`). */
  readonly streamContentType?: string;
}
