/**
 * The HTTP surface, on node:http directly: a handful of fixed routes does not need a framework,
 * and the bare server is the fastest thing Node offers (the benchmark measures the hop).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiId } from '../core/dialect.js';
import { GatewayError } from '../core/errors.js';
import type { ClientDialect } from '../dialects/client-dialect.js';
import { anthropicMessagesDialect } from '../dialects/anthropic-messages/index.js';
import { openAIChatDialect } from '../dialects/openai-chat/index.js';
import { openAIResponsesDialect } from '../dialects/openai-responses/index.js';
import { errorOutcome, Gateway, newRequestId } from '../gateway.js';
import type { GatewayOutcome } from '../gateway.js';
import type { Logger } from '../observability/logger.js';
import { checkAdminAuth, sendAdminError } from './admin-api.js';
import type { AdminApi } from './admin-api.js';
import { listModels } from './list-models.js';
import { createResponsesApi } from './responses-api.js';
import { serveHttp2 } from './serve-http2.js';
import { createDialectRoutes } from './dialect-routes.js';
import { geminiDialect } from '../dialects/gemini/index.js';
import { bedrockConverseDialect } from '../dialects/bedrock-converse/index.js';

export interface AppOptions {
  gateway: Gateway;
  logger: Logger;
  /** GET /metrics, /api/logs, /api/stats (start-gateway builds it from config). */
  admin?: AdminApi;
  /** Every other /api/* path: the config resources (control plane). */
  adminRouter?: Handler;
}

type Handler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void> | void;

interface Route {
  method: string;
  handler: Handler;
  dialect: ClientDialect;
}

export interface App {
  server: Server;
  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }>;
  close(): Promise<void>;
  /** The route table, for the startup banner. */
  routes: string[];
}

export function createApp(options: AppOptions): App {
  const { gateway, logger } = options;

  /**
   * Authenticates the client and reads its JSON body. On failure answers in the client's dialect,
   * records the refusal (so logs and metrics count every request) and returns undefined.
   */
  const readCall = async (req: IncomingMessage, res: ServerResponse, requestId: string, dialect: ClientDialect, api: ApiId) => {
    const t0 = performance.now();
    const runtime = gateway.currentRuntime;
    try {
      authenticate(req, runtime.clientKeys);
      return { body: JSON.parse(await readBody(req, runtime.config.server.body_limit_bytes)) as unknown };
    } catch (e) {
      const err = e instanceof GatewayError ? e : new GatewayError('GW_ERR_INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
      if (err.code === 'GW_ERR_BODY_TOO_LARGE' && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      send(res, errorOutcome(dialect, err, { 'x-request-id': requestId }));
      gateway.rejected({ api, requestId, headers: req.headers, error: err, startedAt: t0 });
      return undefined;
    }
  };

  /** An AbortSignal that fires when the client goes away before the response is finished. */
  const clientGone = (res: ServerResponse): AbortSignal => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    return abort.signal;
  };

  const completion = (dialect: ClientDialect): Handler => async (req, res, requestId) => {
    const call = await readCall(req, res, requestId, dialect, dialect.id);
    if (!call) return;
    const signal = clientGone(res);
    const outcome = await gateway.handle({ dialect, body: call.body, headers: req.headers, signal, requestId });
    if (signal.aborted) return;
    send(res, outcome);
  };

  /** POST /v1/embeddings: like `completion`, answered by gateway.handleEmbeddings in OpenAI's shape. */
  const embeddings: Handler = async (req, res, requestId) => {
    const call = await readCall(req, res, requestId, openAIChatDialect, 'openai-embeddings');
    if (!call) return;
    const signal = clientGone(res);
    const outcome = await gateway.handleEmbeddings({ body: call.body, headers: req.headers, signal, requestId });
    if (signal.aborted) return;
    send(res, outcome);
  };

  const routes = new Map<string, Route[]>();
  const add = (path: string, method: string, dialect: ClientDialect, handler: Handler) => {
    const list = routes.get(path) ?? [];
    list.push({ method, handler, dialect });
    routes.set(path, list);
  };
  for (const p of ['/v1/chat/completions', '/openai/v1/chat/completions', '/chat/completions']) add(p, 'POST', openAIChatDialect, completion(openAIChatDialect));
  for (const p of ['/v1/embeddings', '/openai/v1/embeddings']) add(p, 'POST', openAIChatDialect, embeddings);
  for (const p of ['/v1/messages', '/anthropic/v1/messages']) add(p, 'POST', anthropicMessagesDialect, completion(anthropicMessagesDialect));
  // Gemini and Bedrock Converse (model in the path) and token counting: see dialect-routes.ts.
  const dialectRoutes = createDialectRoutes({
    gateway,
    logger,
    begin: async ({ req, res, requestId, dialect, api }) => {
      const call = await readCall(req, res, requestId, dialect, api);
      if (!call) return undefined;
      const signal = clientGone(res);
      return { body: call.body, signal, answer: (outcome: GatewayOutcome) => (signal.aborted ? undefined : send(res, outcome)) };
    },
    reply: (_req, res, outcome) => send(res, outcome),
  });
  for (const p of ['/v1/messages/count_tokens', '/anthropic/v1/messages/count_tokens']) add(p, 'POST', anthropicMessagesDialect, dialectRoutes.anthropicCountTokens);
  // OpenAI Responses: conversation state (store, previous_response_id) around gateway.handle.
  const responsesApi = createResponsesApi({ gateway, logger });
  const responsesCreate: Handler = async (req, res, requestId) => {
    const call = await readCall(req, res, requestId, openAIResponsesDialect, 'openai-responses');
    if (!call) return;
    const signal = clientGone(res);
    const outcome = await responsesApi.create({ body: call.body, headers: req.headers, signal, requestId });
    if (signal.aborted) return;
    send(res, outcome);
  };
  for (const p of ['/v1/responses', '/openai/v1/responses']) add(p, 'POST', openAIResponsesDialect, responsesCreate);
  /** GET / DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items. */
  const storedResponse: Handler = async (req, res, requestId) => {
    drain(req);
    try {
      authenticate(req, gateway.currentRuntime.clientKeys);
    } catch (e) {
      return send(res, errorOutcome(openAIResponsesDialect, e as GatewayError, { 'x-request-id': requestId }));
    }
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.url!.slice(q + 1));
    send(res, await responsesApi.stored({ method: req.method ?? 'GET', path, query, headers: req.headers, requestId }));
  };
  for (const p of ['/v1/models', '/openai/v1/models']) {
    add(p, 'GET', openAIChatDialect, (req, res) => json(res, 200, listModels(gateway.currentRuntime, req.headers['anthropic-version'] ? 'anthropic' : 'openai')));
  }
  add('/anthropic/v1/models', 'GET', anthropicMessagesDialect, (_req, res) => json(res, 200, listModels(gateway.currentRuntime, 'anthropic')));
  add('/healthz', 'GET', openAIChatDialect, (_req, res) => json(res, 200, { status: 'ok' }));
  add('/readyz', 'GET', openAIChatDialect, (_req, res) => json(res, 200, { status: 'ready', providers: gateway.currentRuntime.providers.size, models: gateway.currentRuntime.aliases.size }));
  add('/api/providers/health', 'GET', openAIChatDialect, (req, res, requestId) => {
    const denied = checkAdminAuth(req, gateway.currentRuntime.config.server.admin_token, gateway.currentRuntime.config.server.admin_read_token);
    if (denied) return sendAdminError(res, denied, requestId);
    json(res, 200, { data: gateway.breakers.snapshot() });
  });
  if (options.admin) {
    if (options.admin.metrics) add('/metrics', 'GET', openAIChatDialect, options.admin.metrics);
    add('/api/logs', 'GET', openAIChatDialect, options.admin.logs);
    add('/api/stats', 'GET', openAIChatDialect, options.admin.stats);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = newRequestId(req.headers);
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const list = routes.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
    const dialect = dialectForPath(path);
    if (!list && responsesApi.matches(path)) {
      Promise.resolve(storedResponse(req, res, requestId)).catch((e: unknown) => {
        logger.error({ err: e, requestId }, 'unhandled error in handler');
        if (!res.headersSent) send(res, errorOutcome(openAIResponsesDialect, new GatewayError('GW_ERR_INTERNAL', 'internal error'), { 'x-request-id': requestId }));
        else res.destroy();
      });
      return;
    }
    const byPattern = list ? undefined : dialectRoutes.match(path);
    if (byPattern) {
      Promise.resolve(byPattern(req, res, requestId)).catch((e: unknown) => {
        logger.error({ err: e, requestId }, 'unhandled error in handler');
        if (!res.headersSent) send(res, errorOutcome(dialect, new GatewayError('GW_ERR_INTERNAL', 'internal error'), { 'x-request-id': requestId }));
        else res.destroy();
      });
      return;
    }
    if (!list && options.adminRouter && path.startsWith('/api/')) {
      const admin = options.adminRouter;
      Promise.resolve(admin(req, res, requestId)).catch((e: unknown) => {
        logger.error({ err: e, requestId }, 'unhandled error in admin handler');
        if (!res.headersSent) send(res, errorOutcome(openAIChatDialect, new GatewayError('GW_ERR_INTERNAL', 'internal error'), { 'x-request-id': requestId }));
        else res.destroy();
      });
      return;
    }
    if (!list) {
      drain(req);
      return send(res, errorOutcome(dialect, new GatewayError('GW_ERR_ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`), { 'x-request-id': requestId }));
    }
    const route = list.find((r) => r.method === req.method);
    if (!route) {
      drain(req);
      res.setHeader('allow', list.map((r) => r.method).join(', '));
      return send(res, errorOutcome(dialect, new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${list.map((r) => r.method).join(', ')}`), { 'x-request-id': requestId }));
    }
    Promise.resolve(route.handler(req, res, requestId)).catch((e: unknown) => {
      logger.error({ err: e, requestId }, 'unhandled error in handler');
      if (!res.headersSent) send(res, errorOutcome(route.dialect, new GatewayError('GW_ERR_INTERNAL', 'internal error'), { 'x-request-id': requestId }));
      else res.destroy();
    });
  };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, listener);
  serveHttp2({ server, listener });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    routes: [...[...routes].flatMap(([path, list]) => list.map((r) => `${r.method} ${path}`)), ...dialectRoutes.patterns],
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          resolve({ port: addr.port, host: addr.address, url: `http://${h}:${addr.port}` });
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => responsesApi.close());
    },
  };
}

function dialectForPath(path: string): ClientDialect {
  if (path.startsWith('/genai/')) return geminiDialect;
  if (path.startsWith('/bedrock/')) return bedrockConverseDialect;
  if (path.startsWith('/anthropic') || path.startsWith('/v1/messages')) return anthropicMessagesDialect;
  return path.includes('/v1/responses') ? openAIResponsesDialect : openAIChatDialect;
}

function authenticate(req: IncomingMessage, keys: ReadonlySet<string>): void {
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

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    drain(req);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        drain(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('GW_ERR_BODY_TOO_LARGE', `request body is larger than server.body_limit_bytes (${limit} bytes)`);
}

/** Reads and discards the rest of a body we will not use, so the connection stays usable. */
function drain(req: IncomingMessage): void {
  req.resume();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function send(res: ServerResponse, outcome: GatewayOutcome): void {
  if (res.headersSent || res.destroyed) return;
  if (outcome.kind === 'json') {
    res.writeHead(outcome.status, { ...outcome.headers, 'content-length': Buffer.byteLength(outcome.body) });
    res.end(outcome.body);
    return;
  }
  res.writeHead(outcome.status, outcome.headers);
  outcome.pipe({
    write: (chunk) => res.write(chunk),
    onDrain: (fn) => res.once('drain', fn),
    end: (chunk) => (chunk === undefined ? res.end() : res.end(chunk)),
  });
  // The headers normally leave with the first content, written during pipe(): one write, not two.
  if (!res.headersSent) (res.flushHeaders ? res.flushHeaders() : res.write(''));
}
