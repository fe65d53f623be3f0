/**
 * Requests Node's HTTP parser cannot read (broken framing, oversized headers, slow clients) reach
 * the server as `clientError` with only a socket. These helpers turn the parser's error into a
 * GatewayError, recover the request line from the bytes received (so the answer can be in the
 * route's dialect) and write a whole HTTP/1.1 response straight to the socket.
 */
import { STATUS_CODES } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { ClientDialect } from '../dialects/client-dialect.js';
import { openAIChatDialect } from '../dialects/openai-chat/index.js';
import { errorOutcome, newRequestId } from '../gateway.js';
import type { Logger } from '../observability/logger.js';
import { safeHeaders } from './safe-header.js';

const kFirstBytes = Symbol('switchyard.firstBytes');

/** A request whose body a socket is reading (the server's tracked request). */
export interface ReadingRequest {
  res: ServerResponse;
  dialect: ClientDialect;
  requestId: string;
  /** Set here; the request's handler records the refusal once its body read fails. */
  clientError?: GatewayError;
}

export interface UnreadableRequestOptions {
  server: Server;
  limits: { headerLimitBytes: number; headersTimeoutMs: number; requestTimeoutMs: number };
  /** The request this socket is reading now, if any. */
  readingOn(socket: Socket): ReadingRequest | undefined;
  /** The dialect to answer a path in. */
  dialectOf(path: string): ClientDialect;
  logger: Pick<Logger, 'debug'>;
}

/**
 * Answers what the parser cannot read, in the route's dialect where it can be told, and enforces
 * headers_timeout_ms before a connection's first byte: a connection that sends nothing never
 * reaches the HTTP parser (serveHttp2 waits for its first bytes; this listener is added after it).
 * The first bytes are kept on the socket, to find the route of a request that times out in its headers.
 */
export function answerUnreadableRequests(o: UnreadableRequestOptions): void {
  const { server, limits } = o;
  type Noted = Socket & { [kFirstBytes]?: Buffer };
  server.on('connection', (socket: Noted) => {
    const onTimeout = () => socket.destroy();
    socket.setTimeout(limits.headersTimeoutMs);
    socket.once('timeout', onTimeout);
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket[kFirstBytes] = Buffer.from(chunk.subarray(0, 256));
    });
  });
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Noted) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const gwErr = clientErrorToGatewayError(err, limits);
    const t = o.readingOn(socket);
    if (t?.res.headersSent) {
      // The answer is already on its way (a stream, with junk pipelined behind it): let it finish.
      t.res.once('close', () => socket.destroy());
      return;
    }
    let dialect: ClientDialect;
    let requestId: string;
    if (t) {
      // A request whose body was being read: its handler records the refusal once the body read fails.
      t.clientError = gwErr;
      dialect = t.dialect;
      requestId = t.requestId;
    } else {
      const line = requestLineOf(err.rawPacket) ?? requestLineOf(socket[kFirstBytes]);
      dialect = line ? o.dialectOf(line.path) : openAIChatDialect;
      requestId = newRequestId({});
    }
    o.logger.debug({ code: gwErr.code, parserCode: err.code, requestId }, 'unreadable request');
    const out = errorOutcome(dialect, gwErr, { 'x-request-id': requestId });
    if (out.kind === 'json') socket.end(rawResponse(out.status, out.headers, out.body));
    else socket.destroy();
  });
}

/** The parser's error as the client should see it. */
export function clientErrorToGatewayError(err: Error & { code?: string }, limits: { headerLimitBytes: number; headersTimeoutMs: number; requestTimeoutMs: number }): GatewayError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('GW_ERR_HEADERS_TOO_LARGE', `the request line and headers are larger than server.header_limit_bytes (${limits.headerLimitBytes} bytes)`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return new GatewayError(
        'GW_ERR_REQUEST_TIMEOUT',
        `the request was not received in time: headers within server.headers_timeout_ms (${limits.headersTimeoutMs} ms), the whole request within server.request_timeout_ms (${limits.requestTimeoutMs} ms)`,
      );
    case 'HPE_INVALID_EOF_STATE':
      return new GatewayError('GW_ERR_MALFORMED_HTTP', 'the connection was half-closed before the request body was complete (shorter than its Content-Length, or a chunked body without its last chunk)');
    default:
      return new GatewayError('GW_ERR_MALFORMED_HTTP', `the HTTP request could not be parsed: ${describeParseError(err)}`);
  }
}

function describeParseError(err: Error & { code?: string; reason?: string }): string {
  const reason = typeof err.reason === 'string' && err.reason ? err.reason : err.message.replace(/^Parse Error:?\s*/, '') || 'invalid data';
  return err.code ? `${reason} (${err.code})` : reason;
}

/** Method and path from the first line of the bytes a client sent, when they hold one. */
export function requestLineOf(raw: Buffer | undefined): { method: string; path: string } | undefined {
  if (!raw || raw.length === 0) return undefined;
  const end = raw.indexOf('\r\n');
  const line = raw.subarray(0, end < 0 ? Math.min(raw.length, 8192) : end).toString('latin1');
  const m = /^([A-Z]{1,16}) (\/[^ ?]*)(?:\?[^ ]*)? HTTP\/1\.[01]$/.exec(line) ?? /^([A-Z]{1,16}) (\/[^ ?]*)/.exec(line);
  return m ? { method: m[1]!, path: m[2]! } : undefined;
}

/** A complete HTTP/1.1 response with a body, closing the connection. */
export function rawResponse(status: number, headers: Record<string, string>, body: string): string {
  const h = safeHeaders(headers);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  for (const k in h) if (k !== 'content-length' && k !== 'connection') head += `${k}: ${h[k]}\r\n`;
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  return head + body;
}
