/**
 * The HTTP surface, on node:http directly: a handful of fixed routes does not need a framework,
 * and the bare server is the fastest thing Node offers (the benchmark measures the hop).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
import type { AdminRouter } from './admin/admin-router.js';
import { answerUnreadableRequests } from './client-error.js';
import { InFlightCounter, runDrain } from './drain.js';
import { LinkedEntries } from './linked-entries.js';
import type { Linked } from './linked-entries.js';
import type { DrainReport } from './drain.js';
import { exceedsJsonDepth } from './json-depth.js';
import { isModelPath, listModels, retrieveModel } from './list-models.js';
import { safeHeaders } from './safe-header.js';
import { authenticate, discardBody, readBody } from './request-intake.js';
import { createResponsesApi } from './responses-api.js';
import { serveHttp2 } from './serve-http2.js';
import { isConsolePath } from './console-ui.js';
import { authenticateRequest, keyAllowsModel } from '../governance/governance-policy.js';
import { createDialectRoutes } from './dialect-routes.js';
import { createMcpRoutes } from './mcp-routes.js';
import type { McpConnections } from '../mcp/mcp-connections.js';
import { geminiDialect } from '../dialects/gemini/index.js';
import { bedrockConverseDialect } from '../dialects/bedrock-converse/index.js';

export interface AppOptions {
  gateway: Gateway;
  logger: Logger;
  /** GET /metrics, /api/logs, /api/stats (start-gateway builds it from config). */
  admin?: AdminApi;
  /** Every other /api/* path: the config resources (control plane). */
  adminRouter?: AdminRouter;
  /** The MCP connections: POST /v1/mcp/tools/call and the /mcp server endpoint (mcp-routes.ts). */
  mcp?: McpConnections;
  /** /ui and /ui/*: the web console's static files (console-ui.ts). */
  consoleUi?: Handler;
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
  /** Closes at once: every connection, streams included (see drain for the graceful way). */
  close(): Promise<void>;
  /**
   * Graceful drain (server.drain): /readyz 503 at once, accept for accept_ms, then stop accepting
   * and wait for what is in flight, up to timeout_ms after the call; what still runs then ends
   * with GW_ERR_SHUTTING_DOWN. Resolves when every connection is closed. `force` cuts at once.
   */
  drain(options?: { force?: AbortSignal }): Promise<DrainReport>;
  /** Requests in flight now (every route). */
  inFlight(): number;
  /** The route table, for the startup banner. */
  routes: string[];
}

/**
 * One completion or embeddings request, from its first byte to the end of its answer. A class, and
 * in a LinkedEntries list rather than a Set: see linked-entries.ts.
 */
class Tracked implements Linked<Tracked> {
  /** The gateway's signal: aborts on client close, on a failed write, and at the drain timeout. */
  readonly ctrl = new AbortController();
  /** Set while a stream is being written: calling it ends the stream with an error event. */
  stop?: () => void;
  /** The client went away before the answer was finished. */
  gone = false;
  /** Set while the body is being read: fails the read (client gone, drain timeout). */
  abortBody?: ((reason?: GatewayError) => void) | undefined;
  /** A framing error or timeout the parser reported, answered straight on the socket. */
  clientError?: GatewayError;
  linkPrev: Tracked | undefined = undefined;
  linkNext: Tracked | undefined = undefined;
  linked = false;

  constructor(
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly dialect: ClientDialect,
  ) {}
}

const kReading = Symbol('switchyard.reading');
const kTracked = Symbol('switchyard.tracked');

/** What the server notes on a connection's socket. */
interface SocketNotes {
  /** The request this HTTP/1.1 socket is reading now, for parse errors in mid-body. */
  [kReading]?: Tracked | undefined;
}

/** What the server notes on a response: its tracked completion request, if it is one. */
interface ResponseNotes {
  [kTracked]?: Tracked;
}

export function createApp(options: AppOptions): App {
  const { gateway, logger } = options;
  const limits = gateway.currentRuntime.config.server;
  const inFlight = new InFlightCounter();
  let started = 0;
  let draining = false;
  /** Completion and embeddings requests in progress, for the drain to cut. */
  const tracked = new LinkedEntries<Tracked>();
  // On the socket and the response themselves, under symbols (see SocketNotes), not in WeakMaps:
  // a WeakMap entry per request is an ephemeron the garbage collector has to trace.

  const shuttingDown = () => new GatewayError('GW_ERR_SHUTTING_DOWN', 'this gateway replica is shutting down and its drain timeout passed; retry the request');

  const track = (req: IncomingMessage, res: ServerResponse, requestId: string, dialect: ClientDialect): Tracked => {
    const t = new Tracked(res, requestId, dialect);
    tracked.add(t);
    const socket = req.socket as (Socket & SocketNotes) | undefined;
    if (req.httpVersionMajor === 1 && socket) socket[kReading] = t;
    (res as ServerResponse & ResponseNotes)[kTracked] = t;
    return t;
  };

  /** The one 'close' listener of every response (shared, so no closure per request). */
  function onResponseClose(this: ServerResponse & ResponseNotes): void {
    inFlight.leave();
    const t = this[kTracked];
    if (!t) return;
    tracked.delete(t);
    // HTTP/1.1 only: an HTTP/2 request's socket is a proxy that may throw once its stream is gone.
    const socket = this.req?.httpVersionMajor === 1 ? (this.req.socket as (Socket & SocketNotes) | null) : undefined;
    if (socket && socket[kReading] === t) socket[kReading] = undefined;
    if (!this.writableFinished) {
      t.gone = true;
      t.ctrl.abort();
      t.abortBody?.();
    }
  }

  /**
   * Authenticates the client and reads its JSON body. On failure answers in the client's dialect,
   * records the refusal (so logs and metrics count every request) and returns undefined.
   */
  const readCall = async (req: IncomingMessage, res: ServerResponse, requestId: string, dialect: ClientDialect, api: ApiId, t: Tracked) => {
    const t0 = performance.now();
    const runtime = gateway.currentRuntime;
    const server = runtime.config.server;
    try {
      // With governance on, the pipeline authenticates virtual keys (and checks models and limits); this early check refuses a bad key before its body is read.
      if (runtime.config.governance.enabled) authenticateRequest(runtime.config, req.headers);
      else authenticate(req, runtime.clientKeys);
      const text = await readBody(req, server.body_limit_bytes, t);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new GatewayError('GW_ERR_INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
      }
      if (exceedsJsonDepth(body, server.max_json_depth)) {
        throw new GatewayError('GW_ERR_JSON_TOO_DEEP', `request body nests objects and arrays more than server.max_json_depth (${server.max_json_depth}) levels deep`);
      }
      return { body };
    } catch (e) {
      const err = t.clientError ?? (e instanceof GatewayError ? e : new GatewayError('GW_ERR_INVALID_JSON', `request body could not be read: ${(e as Error).message}`));
      if (err.code === 'GW_ERR_BODY_TOO_LARGE' && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      if (!t.clientError && !t.gone) send(res, errorOutcome(dialect, err, { 'x-request-id': requestId }), t);
      gateway.rejected({ api, requestId, headers: req.headers, error: err, startedAt: t0 });
      return undefined;
    } finally {
      const socket = req.httpVersionMajor === 1 ? (req.socket as (Socket & SocketNotes) | null) : undefined;
      if (socket && socket[kReading] === t) socket[kReading] = undefined;
    }
  };

  const completion = (dialect: ClientDialect): Handler => async (req, res, requestId) => {
    const t = track(req, res, requestId, dialect);
    const call = await readCall(req, res, requestId, dialect, dialect.id, t);
    if (!call) return;
    const outcome = await gateway.handle({ dialect, body: call.body, headers: req.headers, signal: t.ctrl.signal, requestId });
    send(res, outcome, t);
  };

  /** POST /v1/embeddings: like `completion`, answered by gateway.handleEmbeddings in OpenAI's shape. */
  const embeddings: Handler = async (req, res, requestId) => {
    const t = track(req, res, requestId, openAIChatDialect);
    const call = await readCall(req, res, requestId, openAIChatDialect, 'openai-embeddings', t);
    if (!call) return;
    const outcome = await gateway.handleEmbeddings({ body: call.body, headers: req.headers, signal: t.ctrl.signal, requestId });
    send(res, outcome, t);
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
      const t = track(req, res, requestId, dialect);
      const call = await readCall(req, res, requestId, dialect, api, t);
      return call && { body: call.body, signal: t.ctrl.signal, answer: (outcome: GatewayOutcome) => send(res, outcome, t) };
    },
    reply: (_req, res, outcome) => send(res, outcome),
  });
  for (const p of ['/v1/messages/count_tokens', '/anthropic/v1/messages/count_tokens']) add(p, 'POST', anthropicMessagesDialect, dialectRoutes.anthropicCountTokens);
  // OpenAI Responses: conversation state (store, previous_response_id) around gateway.handle.
  const responsesApi = createResponsesApi({ gateway, logger });
  const responsesCreate: Handler = async (req, res, requestId) => {
    const t = track(req, res, requestId, openAIResponsesDialect);
    const call = await readCall(req, res, requestId, openAIResponsesDialect, 'openai-responses', t);
    if (!call) return;
    const outcome = await responsesApi.create({ body: call.body, headers: req.headers, signal: t.ctrl.signal, requestId });
    send(res, outcome, t);
  };
  for (const p of ['/v1/responses', '/openai/v1/responses']) add(p, 'POST', openAIResponsesDialect, responsesCreate);
  /** GET / DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items. */
  const storedResponse: Handler = async (req, res, requestId) => {
    discardBody(req);
    try {
      const rt = gateway.currentRuntime;
      if (rt.config.governance.enabled) authenticateRequest(rt.config, req.headers);
      else authenticate(req, rt.clientKeys);
    } catch (e) {
      return send(res, errorOutcome(openAIResponsesDialect, e as GatewayError, { 'x-request-id': requestId }));
    }
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.url!.slice(q + 1));
    send(res, await responsesApi.stored({ method: req.method ?? 'GET', path, query, headers: req.headers, requestId }));
  };
  for (const p of ['/v1/models', '/openai/v1/models']) {
    add(p, 'GET', openAIChatDialect, (req, res, requestId) => modelList(req, res, requestId, req.headers['anthropic-version'] ? 'anthropic' : 'openai'));
  }
  add('/anthropic/v1/models', 'GET', anthropicMessagesDialect, (req, res, requestId) => modelList(req, res, requestId, 'anthropic'));
  /** GET /v1/models/{id} (models.retrieve): like the list, no client key needed. */
  const modelById: Handler = (req, res, requestId) => {
    discardBody(req);
    const q = req.url!.indexOf('?');
    const allow = modelsAllowed(req, res, requestId, req.headers['anthropic-version'] !== undefined || req.url!.startsWith('/anthropic/') ? 'anthropic' : 'openai');
    if (allow === null) return;
    send(res, retrieveModel({ runtime: gateway.currentRuntime, method: req.method ?? 'GET', path: q < 0 ? req.url! : req.url!.slice(0, q), headers: req.headers, requestId, ...(allow ? { allow } : {}) }));
  };
  /**
   * With governance on, the models routes need a virtual key and list only what it may use:
   * undefined (governance off: everything), the key's filter, or null after answering 401/403.
   */
  const modelsAllowed = (req: IncomingMessage, res: ServerResponse, requestId: string, shape: 'openai' | 'anthropic'): ((id: string) => boolean) | undefined | null => {
    const rt = gateway.currentRuntime;
    if (!rt.config.governance.enabled) return undefined;
    try {
      const key = authenticateRequest(rt.config, req.headers);
      return (id: string) => keyAllowsModel(key, id);
    } catch (e) {
      send(res, errorOutcome(shape === 'anthropic' ? anthropicMessagesDialect : openAIChatDialect, e as GatewayError, { 'x-request-id': requestId }));
      return null;
    }
  };
  const modelList = (req: IncomingMessage, res: ServerResponse, requestId: string, shape: 'openai' | 'anthropic'): void => {
    const allow = modelsAllowed(req, res, requestId, shape);
    if (allow !== null) json(res, 200, listModels(gateway.currentRuntime, shape, allow));
  };
  if (options.mcp) {
    // MCP: clients run tools through the gateway, and MCP clients connect to it (mcp-routes.ts).
    const mcpRoutes = createMcpRoutes({
      gateway,
      connections: options.mcp,
      logger,
      authenticate: (req) => {
        const rt = gateway.currentRuntime;
        if (rt.config.governance.enabled) return { id: authenticateRequest(rt.config, req.headers).id, kind: 'virtual-key' };
        authenticate(req, rt.clientKeys);
        return undefined;
      },
      readJson: async (req) => {
        const text = await readBody(req, gateway.currentRuntime.config.server.body_limit_bytes);
        try {
          return JSON.parse(text) as unknown;
        } catch (e) {
          throw new GatewayError('GW_ERR_INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
        }
      },
      sendError: (res, err, requestId) => send(res, errorOutcome(openAIChatDialect, err, { 'x-request-id': requestId })),
    });
    add('/v1/mcp/tools/call', 'POST', openAIChatDialect, mcpRoutes.toolsCall);
    for (const m of ['POST', 'GET', 'DELETE']) add('/mcp', m, openAIChatDialect, mcpRoutes.endpoint);
  }
  add('/healthz', 'GET', openAIChatDialect, (_req, res) => json(res, 200, { status: 'ok' }));
  add('/readyz', 'GET', openAIChatDialect, (_req, res) =>
    draining
      ? json(res, 503, { status: 'draining' })
      : json(res, 200, { status: 'ready', providers: gateway.currentRuntime.providers.size, models: gateway.currentRuntime.aliases.size }),
  );
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
    inFlight.enter();
    started++;
    res.once('close', onResponseClose);
    if (draining && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
    const requestId = newRequestId(req.headers);
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const list = routes.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
    const dialect = dialectForPath(path);
    // Paths with ids: stored responses, and the admin API's config resources.
    const prefixed = list ? undefined : responsesApi.matches(path) ? storedResponse : isModelPath(path) ? modelById : path.startsWith('/api/') ? options.adminRouter : options.consoleUi && isConsolePath(path) ? options.consoleUi : dialectRoutes.match(path);
    if (!list && !prefixed) {
      discardBody(req);
      return send(res, errorOutcome(dialect, new GatewayError('GW_ERR_ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`), { 'x-request-id': requestId }));
    }
    const route = list ? list.find((r) => r.method === req.method) : { method: req.method ?? 'GET', handler: prefixed!, dialect: prefixed === storedResponse ? openAIResponsesDialect : dialect };
    if (!route) {
      discardBody(req);
      res.setHeader('allow', list!.map((r) => r.method).join(', '));
      return send(res, errorOutcome(dialect, new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${list!.map((r) => r.method).join(', ')}`), { 'x-request-id': requestId }));
    }
    Promise.resolve(route.handler(req, res, requestId)).catch((e: unknown) => {
      logger.error({ err: e, requestId }, 'unhandled error in handler');
      if (!res.headersSent) send(res, errorOutcome(route.dialect, new GatewayError('GW_ERR_INTERNAL', 'internal error'), { 'x-request-id': requestId }));
      else res.destroy();
    });
  };

  const headersTimeoutMs = Math.min(limits.headers_timeout_ms, limits.request_timeout_ms);
  const server = createServer(
    {
      keepAliveTimeout: limits.keep_alive_timeout_ms,
      headersTimeout: headersTimeoutMs,
      requestTimeout: limits.request_timeout_ms,
      maxHeaderSize: limits.header_limit_bytes,
      // How often Node checks the two timeouts above (its default, 30 s, would add up to 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    listener,
  );
  server.maxConnections = limits.max_connections;
  serveHttp2({ server, listener });
  answerUnreadableRequests({
    server,
    limits: { headerLimitBytes: limits.header_limit_bytes, headersTimeoutMs, requestTimeoutMs: limits.request_timeout_ms },
    readingOn: (socket) => (socket as Socket & SocketNotes)[kReading],
    dialectOf: (path) => routes.get(path)?.[0]?.dialect ?? dialectForPath(path),
    logger,
  });

  /**
   * Writes an outcome. Header values are made safe here, the one place they are written. A stream
   * gets a stop signal (the drain's timeout aborts it); a stream that cannot be written is still
   * piped, into nothing, after its upstream was cancelled, so its request ends and is counted.
   */
  function send(res: ServerResponse, outcome: GatewayOutcome, t?: Tracked): void {
    const undeliverable = (reason: GatewayError) => {
      if (outcome.kind !== 'stream') return;
      t?.ctrl.abort(reason);
      outcome.pipe({ write: () => true, onDrain: () => undefined, end: () => undefined });
    };
    if (t?.clientError || t?.gone || res.headersSent || res.destroyed) {
      undeliverable(new GatewayError('GW_ERR_CLIENT_CLOSED', 'the client closed the connection before the answer began'));
      return;
    }
    const headers = safeHeaders(outcome.headers);
    if (draining && res.req?.httpVersionMajor === 1) res.setHeader('connection', 'close');
    try {
      if (outcome.kind === 'json') {
        res.writeHead(outcome.status, { ...headers, 'content-length': Buffer.byteLength(outcome.body) });
        res.end(outcome.body);
        return;
      }
      res.writeHead(outcome.status, headers);
    } catch (e) {
      // Nothing was written: answer with the error instead, and end the request's stream.
      logger.error({ err: e }, 'response could not be written');
      const err = new GatewayError('GW_ERR_INTERNAL', 'internal error: the response could not be written');
      undeliverable(err);
      if (!res.headersSent) {
        const fallback = errorOutcome(t?.dialect ?? dialectForPath(res.req?.url ?? '/'), err, { 'x-request-id': headers['x-request-id'] ?? t?.requestId ?? '' });
        if (fallback.kind === 'json') {
          res.writeHead(fallback.status, { ...fallback.headers, 'content-length': Buffer.byteLength(fallback.body) });
          res.end(fallback.body);
        }
      }
      return;
    }
    const writer = {
      write: (chunk: string | Uint8Array) => res.write(chunk),
      onDrain: (fn: () => void) => res.once('drain', fn),
      end: (chunk?: string | Uint8Array) => (chunk === undefined ? res.end() : res.end(chunk)),
      onStop: (fn: () => void) => {
        if (t) t.stop = fn;
      },
    };
    outcome.pipe(writer);
    // The headers normally leave with the first content, written during pipe(): one write, not two.
    if (!res.headersSent) (res.flushHeaders ? res.flushHeaders() : res.write(''));
  }

  function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    if (draining && res.req?.httpVersionMajor === 1) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** At the drain timeout: streams end with an error event, requests not yet answered get a 503. */
  const cutAll = () => {
    let streams = 0;
    let requests = 0;
    for (const t of tracked.toArray()) {
      if (t.gone || t.res.writableEnded) continue;
      const err = shuttingDown();
      if (t.stop) {
        streams++;
        t.stop();
      } else if (!t.res.headersSent) requests++;
      // Cancels the upstream; a request still waiting on it answers 503 GW_ERR_SHUTTING_DOWN.
      t.ctrl.abort(err);
      t.abortBody?.(err);
    }
    return { streams, requests };
  };

  let drained: Promise<DrainReport> | undefined;
  return {
    server,
    routes: [...[...routes].flatMap(([path, list]) => list.map((r) => `${r.method} ${path}`)), ...dialectRoutes.patterns],
    inFlight: () => inFlight.count,
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
    drain(opts = {}) {
      if (drained) return drained;
      draining = true;
      const d = gateway.currentRuntime.config.server.drain;
      drained = runDrain(
        { server, inFlight, started: () => started, cutAll },
        { acceptMs: d.accept_ms, timeoutMs: d.timeout_ms, logger, ...(opts.force ? { force: opts.force } : {}) },
      );
      return drained;
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
