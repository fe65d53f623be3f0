import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { serveHttp2, startsLikeHttp2 } from './serve-http2.js';

function listen() {
  const listener = (_req: unknown, res: { end(s: string): void }) => res.end('ok');
  const server = createServer(listener as never);
  serveHttp2({ server, listener: listener as never });
  return new Promise<{ server: typeof server; port: number }>((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

test('the preface is recognised from its first three bytes', () => {
  assert.equal(startsLikeHttp2(Buffer.from('PRI * HTTP/2.0\r\n')), true);
  assert.equal(startsLikeHttp2(Buffer.from('POST / HTTP/1.1\r\n')), false);
  assert.equal(startsLikeHttp2(Buffer.from('PR')), false);
});

test('a connection that never sent a byte does not hold server.close() open', { timeout: 5000 }, async () => {
  const { server, port } = await listen();
  const idle = connect(port, '127.0.0.1');
  await once(idle, 'connect');
  const closed = once(idle, 'close');
  // close() must end the idle connection itself: Node's HTTP server never saw it.
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  await closed;
});

test('a client that leaves before sending anything is closed on our side too', { timeout: 5000 }, async () => {
  const { server, port } = await listen();
  const idle = connect(port, '127.0.0.1');
  await once(idle, 'connect');
  const ended = once(idle, 'close');
  idle.end(); // FIN only: the server is half-open, so without our help it would wait for a timeout
  await ended;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
