/**
 * HTTP/2 beside HTTP/1.1 on the same cleartext port. Node's `allowHTTP1` works only on TLS
 * servers, so the first bytes of each connection decide: the HTTP/2 connection preface
 * (`PRI * HTTP/2.0`, "prior knowledge", what the AWS SDK's default handler and undici with
 * `allowH2` send) goes to a node:http2 server, anything else to the HTTP/1.1 server as before.
 * Both call the same request listener; the http2 compatibility API (Http2ServerRequest /
 * Http2ServerResponse) offers what the handlers use of IncomingMessage / ServerResponse.
 *
 * The HTTP/1.1 path costs one `data` listener per connection, not per request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';

/** The first bytes of the HTTP/2 client connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** True when `chunk` starts with the HTTP/2 preface (or is a piece of it long enough to tell: `PRI`). */
export function startsLikeHttp2(chunk: Buffer): boolean {
  const n = Math.min(chunk.length, PREFACE.length);
  return n >= 3 && chunk.compare(PREFACE, 0, n, 0, n) === 0;
}

/**
 * Makes `server` (a node:http server, listening or not) also answer HTTP/2 with prior knowledge,
 * through `listener`. `server.close()`, `closeIdleConnections()` and `closeAllConnections()` also
 * close the HTTP/2 sessions (gracefully, gracefully, and at once), so shutdown code needs no
 * second server to know about.
 */
export function serveHttp2(args: { server: Server; listener: Listener }): Http2Server {
  const { server } = args;
  const h2 = createHttp2Server({}, (req: Http2ServerRequest, res: Http2ServerResponse) => {
    // The handlers read headers, url, method and the body stream, and write status, headers and
    // chunks: all present on the compatibility objects.
    args.listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
  const sessions = new Set<ServerHttp2Session>();
  h2.on('session', (s: ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });

  const http1 = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  // Connections that have not sent a byte yet belong to neither server, so neither's close or
  // closeAllConnections would see them: they are kept here, and closed when their client leaves
  // (the HTTP server is half-open, so an early FIN alone would leave them open) or the server closes.
  const unsorted = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unsorted.add(socket);
    const leftEarly = () => socket.destroy();
    socket.once('end', leftEarly);
    socket.once('close', () => unsorted.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      unsorted.delete(socket);
      socket.off('end', leftEarly);
      socket.pause();
      socket.unshift(chunk);
      if (startsLikeHttp2(chunk)) {
        // The session reads what is buffered on the socket before it takes the handle over.
        h2.emit('connection', socket);
      } else {
        for (const l of http1) l.call(server, socket);
        socket.resume();
      }
    });
  });

  const close = server.close.bind(server);
  const closeUnsorted = () => {
    for (const socket of unsorted) socket.destroy();
  };
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sessions) s.close();
    closeUnsorted();
    return close(cb);
  }) as Server['close'];
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    for (const s of sessions) s.close();
    closeUnsorted();
    closeIdle();
  };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    for (const s of sessions) s.destroy();
    closeUnsorted();
    closeAll();
  };
  return h2;
}
