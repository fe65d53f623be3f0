/** Small HTTP pieces shared by the admin resources: routes, JSON bodies, answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../../control/config-store.js';
import type { ControlPlane } from '../../control/control-plane.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import { readBody } from '../request-intake.js';

/** Largest admin request body. */
const BODY_LIMIT = 1024 * 1024;

export interface AdminCall {
  req: IncomingMessage;
  url: URL;
  /** Path parameters, by the names in the route pattern (":name" → params.name). */
  params: Record<string, string>;
  control: ControlPlane;
  actor: Actor;
  logger: Logger;
  /** The JSON body (an empty body reads as undefined). */
  body(): Promise<unknown>;
}

export interface AdminAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under /api/, segments separated by "/", parameters as ":name": "providers/:name". */
  pattern: string;
  handle(call: AdminCall): Promise<AdminAnswer>;
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, BODY_LIMIT, undefined, 'the admin API\'s body limit');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GatewayError('GW_ERR_INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function invalid(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_INVALID_REQUEST', `${param}: ${message}`, { param });
}

/** A revision number from a body field, an If-Match header ("7", "\"7\"", W/"7") or a path. */
export function parseRevision(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.replace(/^W\//, '').replace(/^"(.*)"$/, '$1') : '';
  if (!/^\d{1,15}$/.test(text)) throw invalid(param, `expected a revision number (as returned in "revision"), got ${JSON.stringify(value).slice(0, 64)}`);
  return Number(text);
}
