// @ts-check
/**
 * Preloaded into Portkey's gateway for the benchmark (`node --import ...`):
 *  - its server (@hono/node-server `serve({ port })`) passes no host and would listen on every
 *    interface: force 127.0.0.1 when a listen() call names none;
 *  - every outbound fetch() must go to a loopback address (the mock); anything else is refused,
 *    so no plugin or default can send traffic off the machine during a run.
 */
import net from 'node:net';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const originalListen = net.Server.prototype.listen;
/** @this {net.Server} @param {any[]} args */
function listenOnLoopback(...args) {
  const [first, second] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (second === undefined || typeof second === 'function' || typeof second === 'number') {
      // listen(port[, backlog][, cb]) / listen(port, undefined, cb): insert the host.
      const rest = second === undefined ? args.slice(2) : args.slice(1);
      return originalListen.call(this, Number(first), '127.0.0.1', ...rest);
    }
  } else if (first && typeof first === 'object' && !('fd' in first) && !('path' in first) && !first.host) {
    return originalListen.call(this, { ...first, host: '127.0.0.1' }, ...args.slice(1));
  }
  return originalListen.apply(this, /** @type {any} */ (args));
}
net.Server.prototype.listen = /** @type {any} */ (listenOnLoopback);

const originalFetch = globalThis.fetch;
/** @type {typeof fetch} */
const loopbackFetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  let host = '';
  try {
    host = new URL(url).hostname;
  } catch {
    /* relative or invalid: let fetch report it */
  }
  if (!LOOPBACK_HOSTS.has(host)) return Promise.reject(new Error(`benchmark loopback guard: refused outbound fetch to ${host || url}`));
  return originalFetch(input, init);
};
globalThis.fetch = loopbackFetch;
