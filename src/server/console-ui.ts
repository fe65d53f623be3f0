/**
 * Serves the web console (the built ui/ package, ui/dist) at /ui/: static files only, no server
 * rendering, no cookies. Hashed assets (/ui/assets/*) are immutable for a year; index.html is
 * revalidated every time (no-cache, ETag), so a new build is picked up at the next load. Answers
 * gzip when the browser accepts it. `server.ui: false` turns it off (404, read per request).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** ui/dist of this package: src/server (tsx) and dist/server (built) are both two levels down. */
export const DEFAULT_UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The console calls only its own origin; nothing inline but styles (React style attributes). */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface CachedFile {
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  type: string;
}

export interface ConsoleUiOptions {
  /** Where the built console is (default: ui/dist of this package). */
  dir?: string;
  /** Read per request: server.ui. */
  enabled: () => boolean;
}

export type ConsoleUiHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>;

export function isConsolePath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

export function createConsoleUi(options: ConsoleUiOptions): ConsoleUiHandler {
  const dir = normalize(options.dir ?? DEFAULT_UI_DIR);
  const cache = new Map<string, CachedFile | null>();

  const load = async (file: string): Promise<CachedFile | null> => {
    if (cache.has(file)) return cache.get(file)!;
    let entry: CachedFile | null = null;
    try {
      const body = await readFile(file);
      const ext = file.slice(file.lastIndexOf('.'));
      const type = TYPES[ext] ?? 'application/octet-stream';
      entry = { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      if (/^(text|image\/svg|application\/json)/.test(type) && body.length > 1024) entry.gzip = gzipSync(body, { level: 9 });
    } catch {
      entry = null;
    }
    if (cache.size < 512) cache.set(file, entry);
    return entry;
  };

  const answer = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers });
    res.end(text);
  };

  return async (req, res, requestId) => {
    req.resume();
    if (!options.enabled()) return answer(res, 404, 'the web console is turned off (server.ui: false)\n', { 'x-request-id': requestId });
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, `${req.method} is not allowed on the console; use GET\n`, { allow: 'GET, HEAD', 'x-request-id': requestId });
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    if (path === '/ui') {
      res.writeHead(308, { location: '/ui/', 'content-length': 0, 'x-request-id': requestId });
      return void res.end();
    }
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice('/ui/'.length));
    } catch {
      return answer(res, 400, 'malformed path\n', { 'x-request-id': requestId });
    }
    const isAsset = rel.startsWith('assets/');
    const file = normalize(join(dir, rel === '' ? 'index.html' : rel));
    if (!file.startsWith(dir + sep) || rel.includes('\0')) return answer(res, 404, 'not found\n', { 'x-request-id': requestId });
    // A path that is not a file is a page of the console (hash routes need none, but a reload of /ui/x should work): index.html.
    let entry = await load(file);
    if (!entry && !isAsset && !/\.[a-z0-9]+$/i.test(rel)) entry = await load(join(dir, 'index.html'));
    if (!entry) {
      if (!existsSync(join(dir, 'index.html'))) {
        return answer(res, 503, 'the web console is not built: run `npm install` (or `npm run build:ui`) at the project root, then restart\n', { 'x-request-id': requestId });
      }
      return answer(res, 404, 'not found\n', { 'x-request-id': requestId });
    }
    const headers: Record<string, string> = {
      'content-type': entry.type,
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: entry.etag,
      vary: 'accept-encoding',
      'x-request-id': requestId,
      ...SECURITY_HEADERS,
    };
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const body = entry.gzip && /\bgzip\b/.test(accepts) ? entry.gzip : entry.body;
    if (body === entry.gzip) headers['content-encoding'] = 'gzip';
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
