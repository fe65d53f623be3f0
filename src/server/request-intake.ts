/**
 * Taking in a client's request before the gateway sees it: the client-key check, and reading the
 * body up to a size limit. The completion routes, MCP routes and the admin API all read bodies here.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/**
 * Refuses a request without one of `keys` (server.api_keys) in `Authorization: Bearer`,
 * `x-api-key` or `x-goog-api-key`; no keys configured: everyone is let in.
 */
export function authenticate(req: IncomingMessage, keys: ReadonlySet<string>): void {
  if (keys.size === 0) return;
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
  // x-goog-api-key: what Google's Gen AI SDK sends.
  const xKey = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  const presented = bearer ?? (typeof xKey === 'string' ? xKey : undefined);
  if (presented === undefined || !keys.has(presented)) {
    throw new GatewayError('GW_ERR_UNAUTHORIZED', 'invalid or missing API key: send Authorization: Bearer <key> or x-api-key');
  }
}

/**
 * A request whose body read can be cut from outside (the client left, the drain timeout passed):
 * the read sets `abortBody` while it runs. A plain callback rather than a listener on the request's
 * AbortSignal, which would cost an EventTarget add and remove on every request.
 */
export interface BodyReadHook {
  abortBody?: ((reason?: GatewayError) => void) | undefined;
  gone: boolean;
  ctrl: AbortController;
}

/**
 * Reads the whole body as text, up to `limit` bytes (`limitName` names the setting in the error).
 * Rejects with GW_ERR_CLIENT_CLOSED when the client leaves mid-body (its handler then sees
 * `clientError` first when the parser found broken framing) and when `hook` is cut.
 */
export function readBody(req: IncomingMessage, limit: number, hook?: BodyReadHook, limitName = 'server.body_limit_bytes'): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardBody(req);
    return Promise.reject(tooLarge(limit, limitName));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: GatewayError) => {
      if (hook) hook.abortBody = undefined;
      req.removeAllListeners('data');
      reject(err);
    };
    if (hook) {
      const signal = hook.ctrl.signal;
      if (hook.gone || signal.aborted) return fail(signal.reason instanceof GatewayError ? signal.reason : clientClosed());
      hook.abortBody = (r) => fail(r ?? clientClosed());
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        discardBody(req);
        fail(tooLarge(limit, limitName));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (hook) hook.abortBody = undefined;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => fail(clientClosed()));
  });
}

function tooLarge(limit: number, limitName: string): GatewayError {
  return new GatewayError('GW_ERR_BODY_TOO_LARGE', `request body is larger than ${limitName} (${limit} bytes)`);
}

function clientClosed(): GatewayError {
  return new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection before sending the whole body');
}

/** Reads and discards the rest of a body we will not use, so the connection stays usable. */
export function discardBody(req: IncomingMessage): void {
  req.resume();
}
