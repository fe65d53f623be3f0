// @ts-check
/**
 * The baseline: the least a Node process can do to proxy an LLM call. node:http in, one undici
 * Pool out, request body piped up, response status/headers copied and body piped down. No
 * parsing, no translation, no routing. Plain JavaScript (no loader) so it starts and runs as lean
 * as Node allows.
 *
 *   node bench/servers/bare-proxy.mjs --upstream http://127.0.0.1:PORT [--port N]
 * Prints its URL on the first stdout line; stops on SIGTERM/SIGINT or when its parent goes away.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const upstream = arg('--upstream', '');
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(upstream)) {
  process.stderr.write('bare-proxy: --upstream http://127.0.0.1:PORT is required (loopback only)\n');
  process.exit(2);
}
const port = Number(arg('--port', '0'));

const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded in either direction.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  pool
    .request({
      path: req.url ?? '/',
      method: /** @type {import('undici').Dispatcher.HttpMethod} */ (req.method ?? 'GET'),
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      signal: abort.signal,
    })
    .then(
      ({ statusCode, headers: upHeaders, body }) => {
        /** @type {Record<string, string | string[]>} */
        const out = {};
        for (const [k, v] of Object.entries(upHeaders)) if (v !== undefined && !HOP.has(k)) out[k] = v;
        res.writeHead(statusCode, out);
        // Piped by hand: stream.pipeline would allocate an AbortController (and abort it, with a
        // DOMException) per request, a cost no proxy has to pay.
        body.on('data', (chunk) => {
          if (!res.write(chunk)) {
            body.pause();
            res.once('drain', () => body.resume());
          }
        });
        body.once('end', () => res.end());
        body.once('error', () => res.destroy());
      },
      (err) => {
        if (res.headersSent) return void res.destroy();
        const text = JSON.stringify({ error: { message: `bare proxy: ${err.message}`, type: 'proxy_error' } });
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    );
});

server.listen(port, '127.0.0.1', () => {
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`http://127.0.0.1:${addr.port}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
