import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import { mapTransportError, originAddress, parseJsonBody, UpstreamClient } from './upstream-client.js';

const timeouts = { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 };

describe('UpstreamClient errors', () => {
  it('a refused connection names the host and port it could not reach', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new UpstreamClient({ baseUrl: `http://127.0.0.1:${port}/v1`, provider: 'openai', connectTimeoutMs: 1000, maxConnections: 1 });
    try {
      await assert.rejects(client.request({ path: '/chat/completions', headers: {}, body: '{}', signal: new AbortController().signal, timeouts }), (e: GatewayError) => {
        assert.equal(e.code, 'GW_ERR_UPSTREAM_CONNECT');
        assert.equal(e.message, `openai: could not connect to 127.0.0.1:${port} (ECONNREFUSED)`);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('names default ports by scheme', () => {
    assert.equal(originAddress(new URL('https://api.openai.com/v1')), 'api.openai.com:443');
    assert.equal(originAddress(new URL('http://[::1]/v1')), '[::1]:80');
    assert.equal(originAddress(new URL('http://mock:9090')), 'mock:9090');
  });

  it('a connection closed while the body is read is an incomplete answer, not a connect failure', () => {
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const before = mapTransportError(socket, 'p', undefined, timeouts, { phase: 'request', address: 'h:1' });
    const during = mapTransportError(socket, 'p', undefined, timeouts, { phase: 'body', address: 'h:1' });
    assert.equal(before.code, 'GW_ERR_UPSTREAM_CONNECT');
    assert.match(before.message, /h:1/);
    assert.equal(during.code, 'GW_ERR_UPSTREAM_INCOMPLETE');
    assert.equal(during.retryable, true);
    assert.match(during.message, /closed the connection before its answer was complete \(UND_ERR_SOCKET\)/);
    // Timeouts keep their own code in both phases.
    assert.equal(mapTransportError(Object.assign(new Error('t'), { code: 'UND_ERR_BODY_TIMEOUT' }), 'p', undefined, timeouts, { phase: 'body' }).code, 'GW_ERR_UPSTREAM_TIMEOUT');
  });

  it('an empty body is a protocol error that says so', () => {
    assert.throws(() => parseJsonBody('', 'p'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_UPSTREAM_PROTOCOL' && /empty body/.test(e.message));
  });
});
