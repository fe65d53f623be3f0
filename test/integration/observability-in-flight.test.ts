/**
 * Every request that starts ends exactly once for the plugins, whatever the client does: the
 * in-flight gauge returns to zero and the request log gets its row when a client walks away
 * mid-stream, and when it leaves after the gateway committed a stream but before it was piped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openAIChatDialect } from '../../src/dialects/openai-chat/index.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { GatewayPlugin, RequestRecord, RequestStart } from '../../src/plugins/plugin.js';
import { compileRuntime } from '../../src/routing/runtime.js';
import { parseMetrics, pollUntil, sumOf } from '../helpers/prometheus.js';
import { buildConfig, defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ config: (url) => ({ ...defaultConfig(url), storage: { sqlite_path: ':memory:' }, server: { host: '127.0.0.1', port: 0, admin_token: 'a' } }) });
});
after(async () => {
  await stack.close();
});

describe('requests that end early', () => {
  it('a client leaving mid-stream: in-flight back to 0, one log row with GW_ERR_CLIENT_CLOSED', async () => {
    stack.mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 200 } }]);
    const ctrl = new AbortController();
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'walks-away' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'a long answer with many words' }] }),
      signal: ctrl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ctrl.abort();
    const metrics = () => fetch(`${stack.url}/metrics`).then(async (r) => parseMetrics(await r.text()));
    await pollUntil('the request to end', async () => {
      const m = await metrics();
      return sumOf(m, 'switchyard_requests_total') === 1 ? m : undefined;
    }, 10_000);
    stack.mock.setFaults([]);
    const m = await metrics();
    assert.equal(sumOf(m, 'switchyard_in_flight_requests'), 0);
    const logs = (await (await fetch(`${stack.url}/api/logs?request_id=walks-away`, { headers: { authorization: 'Bearer a' } })).json()) as { data: Array<{ error_code: string; stream: boolean }> };
    assert.equal(logs.data.length, 1);
    assert.equal(logs.data[0]!.stream, true);
    assert.equal(logs.data[0]!.error_code, 'GW_ERR_CLIENT_CLOSED');
  });

  it('a client leaving after the stream committed but before it was piped still ends the request', async () => {
    const starts: RequestStart[] = [];
    const ends: RequestRecord[] = [];
    const plugin: GatewayPlugin = { name: 'probe', onRequestStart: (s) => starts.push(s), onRequestEnd: (r) => ends.push(r) };
    const runtime = compileRuntime(buildConfig(defaultConfig(stack.mock.url)));
    const gateway = new Gateway({ runtime, logger: silentLogger(), plugins: [plugin] });
    const ctrl = new AbortController();
    const outcome = await gateway.handle({
      dialect: openAIChatDialect,
      body: { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      signal: ctrl.signal,
      requestId: 'never-piped',
    });
    assert.equal(outcome.kind, 'stream');
    assert.equal(starts.length, 1);
    assert.equal(ends.length, 0);
    ctrl.abort();
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.status, 499);
    assert.equal(ends[0]!.errorCode, 'GW_ERR_CLIENT_CLOSED');
    assert.equal(ends[0]!.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    await gateway.close();
  });
});
