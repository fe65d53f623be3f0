/**
 * A response the mock upstream has decided on but not yet written: the fault layer
 * (mock-upstream.ts) decides how it reaches the socket (whole, dripped, cut, replaced by an error).
 */
/** `Chunk` is `string` for SSE; binary event streams (Bedrock) use `Uint8Array` chunks. */
export type PreparedResponse<Chunk extends string | Uint8Array = string> =
  | { type: 'json'; status: number; headers: Record<string, string>; body: string }
  | {
      type: 'sse';
      status: number;
      headers: Record<string, string>;
      /** Fully framed SSE events (`event: ...\ndata: ...\n\n` or `data: ...\n\n`), one socket write each. */
      events: Chunk[];
      /** How many leading events come before the first content event (cut-mid-stream counts after them). */
      preamble: number;
    };

/** What a route validates: the request headers and the parsed JSON body. */
export interface IncomingMockRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, undefined when empty or not JSON. */
  body: unknown;
}

/** Which provider's wire format a route speaks; picks the error shapes. */
export type WireProvider = 'openai' | 'anthropic';

/** Per-request values the formatters need, so they stay pure. */
export interface WireContext {
  /** Sequence number of the request on this server, from 1. */
  seq: number;
  /** Request id sent back in `x-request-id` (OpenAI) or `request-id` (Anthropic). */
  requestId: string;
  /** Unix seconds, for `created`. */
  created: number;
}

export type JsonResponse = Extract<PreparedResponse, { type: 'json' }>;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): JsonResponse {
  return {
    type: 'json',
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** `data: <json>\n\n` — OpenAI framing. */
export function dataFrame(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** `event: <name>\ndata: <json>\n\n` — Anthropic framing. */
export function namedFrame(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}
