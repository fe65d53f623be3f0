/**
 * The admin API's router for the config resources: every /api/* path the app has no fixed route
 * for comes here. Authenticates (server.admin_token; server.admin_read_token for GET), matches the
 * route table built from the resources, and answers JSON (errors in the OpenAI error shape, like
 * the rest of /api).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../../control/config-store.js';
import type { ControlPlane } from '../../control/control-plane.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AdminTokens } from '../admin-api.js';
import { authenticateAdmin, sendAdminError } from '../admin-api.js';
import type { AdminRoute } from './admin-http.js';
import { readJsonBody, sendJson } from './admin-http.js';

export type AdminRouter = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>;

export interface AdminRouterOptions {
  control: ControlPlane;
  /** The current tokens (read per request: a reload may change them). */
  tokens: () => AdminTokens;
  logger: Logger;
  /**
   * More resources (later kinds), besides providers, models and config: a list, or a loader run on
   * the first admin request (so their validators stay out of memory until then).
   */
  routes?: AdminRoute[] | (() => Promise<AdminRoute[]>);
}

function match(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    else if (p !== segments[i]) return undefined;
  }
  return params;
}

/** The x-switchyard-actor header, trimmed to printable text. */
function actorName(req: IncomingMessage): string | undefined {
  const h = req.headers['x-switchyard-actor'];
  if (typeof h !== 'string') return undefined;
  const clean = h.replace(/[^\x20-\x7e]/g, '').trim().slice(0, 128);
  return clean || undefined;
}

export function createAdminRouter(options: AdminRouterOptions): AdminRouter {
  // Loaded on the first admin request: the resources validate with zod, which a gateway that is
  // never administered does not need in memory.
  let routesLoaded: Promise<AdminRoute[]> | undefined;
  const loadRoutes = () =>
    (routesLoaded ??= (async () => {
      const [{ DEFAULT_ADMIN_ROUTES }, more] = await Promise.all([
        import('./default-admin-routes.js'),
        typeof options.routes === 'function' ? options.routes() : Promise.resolve(options.routes ?? []),
      ]);
      return [...DEFAULT_ADMIN_ROUTES, ...more];
    })());
  return async (req, res, requestId) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const auth = authenticateAdmin(req, options.tokens());
    if ('error' in auth) {
      req.resume();
      return sendAdminError(res, auth.error, requestId);
    }
    let segments: string[];
    try {
      segments = url.pathname.replace(/^\/api\//, '').replace(/\/$/, '').split('/').map(decodeURIComponent);
    } catch {
      req.resume();
      return sendAdminError(res, new GatewayError('GW_ERR_INVALID_REQUEST', `malformed path ${url.pathname}`), requestId);
    }
    const routes = await loadRoutes();
    const candidates = routes.map((r) => ({ r, params: match(r.pattern, segments) })).filter((c) => c.params);
    const found = candidates.find((c) => c.r.method === req.method);
    if (!found) {
      req.resume();
      if (candidates.length === 0) return sendAdminError(res, new GatewayError('GW_ERR_ROUTE_NOT_FOUND', `no route for ${req.method} ${url.pathname}`), requestId);
      const allow = [...new Set(candidates.map((c) => c.r.method))].join(', ');
      res.setHeader('allow', allow);
      return sendAdminError(res, new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}; use ${allow}`), requestId);
    }
    const name = actorName(req);
    const actor: Actor = name ? { token: auth.token, name } : { token: auth.token };
    let body: Promise<unknown> | undefined;
    try {
      const answer = await found.r.handle({
        req,
        url,
        params: found.params!,
        control: options.control,
        actor,
        logger: options.logger,
        body: () => (body ??= readJsonBody(req)),
      });
      if (!body) req.resume();
      sendJson(res, answer.status ?? 200, answer.body, { 'x-request-id': requestId, ...answer.headers });
    } catch (e) {
      if (!body) req.resume();
      if (e instanceof GatewayError) return sendAdminError(res, e, requestId);
      options.logger.error({ err: { message: (e as Error).message }, requestId }, 'admin API failed');
      sendAdminError(res, new GatewayError('GW_ERR_INTERNAL', 'the admin API failed; see the gateway log'), requestId);
    }
  };
}
