/**
 * OpenTelemetry tracing end to end: a tiny OTLP/HTTP receiver on 127.0.0.1 gets the gateway's JSON
 * export; a request carrying `traceparent` becomes a SERVER span in that trace, with one CLIENT
 * span per upstream attempt and the GenAI semantic-convention attributes. Without an endpoint, no
 * OpenTelemetry module is in the gateway's static import graph.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: Array<{ stringValue?: string }> } };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: OtlpAttr[];
  status?: { code?: number; message?: string };
  events?: Array<{ name: string }>;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

let receiver: Server;
let receiverUrl: string;
const exports: Array<{ path: string; contentType: string; body: any }> = [];
let stack: Stack;

function attr(span: OtlpSpan, key: string): unknown {
  const a = span.attributes.find((x) => x.key === key)?.value;
  if (!a) return undefined;
  if (a.intValue !== undefined) return Number(a.intValue);
  if (a.arrayValue) return a.arrayValue.values.map((v) => v.stringValue);
  return a.stringValue ?? a.doubleValue ?? a.boolValue;
}

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startStack({
    config: (mockUrl) => ({
      ...defaultConfig(mockUrl),
      storage: { sqlite_path: ':memory:' },
      telemetry: { otlp_endpoint: receiverUrl, service_name: 'switchyard-test' },
    }),
  });
  const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'client', maxRetries: 0 });
  // Fallback: Anthropic answers 503 to the first try and its retry, OpenAI answers.
  stack.mock.setFaults([{ fault: { kind: 'status', status: 503 }, times: 2, path: '/v1/messages' }]);
  await openai.chat.completions.create(
    { model: 'review-model', max_tokens: 50, messages: [{ role: 'user', content: 'trace me please' }] },
    { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, 'x-request-id': 'traced-request' } },
  );
  await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'no parent' }] }, { headers: { 'x-request-id': 'root-request' } });
  // close() shuts the tracer provider down, which exports every finished span.
  await stack.close();
});

after(async () => {
  await new Promise((r) => receiver.close(r));
});

function allSpans(): Array<OtlpSpan & { resource: OtlpAttr[] }> {
  return exports.flatMap((e) =>
    (e.body.resourceSpans ?? []).flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: OtlpSpan) => ({ ...s, resource: rs.resource.attributes })))),
  );
}

describe('OpenTelemetry tracing', () => {
  it('exports OTLP/HTTP JSON to <endpoint>/v1/traces with the service name', () => {
    assert.ok(exports.length > 0, 'the receiver got an export');
    for (const e of exports) {
      assert.equal(e.path, '/v1/traces');
      assert.match(e.contentType, /application\/json/);
    }
    const span = allSpans()[0]!;
    assert.equal(span.resource.find((a) => a.key === 'service.name')?.value.stringValue, 'switchyard-test');
  });

  it('honours traceparent: the request span continues the caller\'s trace, attempts are its children', () => {
    const spans = allSpans().filter((s) => s.traceId.toLowerCase() === TRACE_ID);
    const server = spans.find((s) => s.kind === 2)!;
    assert.ok(server, 'a SERVER span in the caller\'s trace');
    assert.equal(server.parentSpanId?.toLowerCase(), PARENT_ID);
    assert.equal(server.name, 'chat review-model');
    assert.equal(attr(server, 'gen_ai.operation.name'), 'chat');
    assert.equal(attr(server, 'gen_ai.request.model'), 'review-model');
    assert.equal(attr(server, 'gen_ai.provider.name'), 'openai');
    assert.equal(attr(server, 'gen_ai.system'), 'openai');
    assert.equal(attr(server, 'gen_ai.response.model'), 'gpt-4o-mini');
    assert.equal(attr(server, 'gen_ai.request.max_tokens'), 50);
    assert.ok((attr(server, 'gen_ai.usage.input_tokens') as number) > 0);
    assert.ok((attr(server, 'gen_ai.usage.output_tokens') as number) > 0);
    assert.deepEqual(attr(server, 'gen_ai.response.finish_reasons'), ['stop']);
    assert.equal(attr(server, 'switchyard.request_id'), 'traced-request');
    assert.equal(attr(server, 'switchyard.fallback_index'), 1);
    assert.ok((attr(server, 'switchyard.cost_usd') as number) > 0);

    const attempts = spans.filter((s) => s.parentSpanId === server.spanId).sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((s) => s.kind === 3), 'attempts are CLIENT spans');
    assert.deepEqual(
      attempts.map((s) => [attr(s, 'gen_ai.provider.name'), attr(s, 'gen_ai.request.model'), attr(s, 'switchyard.outcome'), attr(s, 'error.type') ?? null, attr(s, 'http.response.status_code') ?? null]),
      [
        ['anthropic', 'claude-sonnet-4-6', 'error', 'GW_ERR_UPSTREAM_OVERLOADED', 503],
        ['anthropic', 'claude-sonnet-4-6', 'error', 'GW_ERR_UPSTREAM_OVERLOADED', 503],
        ['openai', 'gpt-4o-mini', 'ok', null, null],
      ],
    );
    assert.equal(attempts[0]!.status?.code, 2, 'failed attempts have error status');
    assert.equal(attr(attempts[2]!, 'gen_ai.response.model'), 'gpt-4o-mini');
    for (const a of attempts) {
      assert.ok(BigInt(a.startTimeUnixNano) >= BigInt(server.startTimeUnixNano));
      assert.ok(BigInt(a.endTimeUnixNano) <= BigInt(server.endTimeUnixNano));
    }
  });

  it('starts a new trace when the request has no traceparent', () => {
    const root = allSpans().find((s) => s.kind === 2 && attr(s, 'switchyard.request_id') === 'root-request')!;
    assert.ok(root);
    assert.notEqual(root.traceId.toLowerCase(), TRACE_ID);
    assert.ok(!root.parentSpanId);
  });
});

describe('tracing off', () => {
  it('keeps OpenTelemetry out of the static import graph of the CLI and startGateway', () => {
    const root = resolve(fileURLToPath(new URL('../../src/', import.meta.url)));
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // Static imports only: `import ... from 'x'` and `export ... from 'x'` (not `await import('x')`, not `import type`).
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('@opentelemetry/')) offenders.push(`${file.slice(root.length)} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
          if (target.includes('/plugins/tracing/')) offenders.push(`${file.slice(root.length)} imports ${spec}`);
          visit(target);
        }
      }
    };
    visit(join(root, 'cli.ts'));
    visit(join(root, 'start-gateway.ts'));
    assert.ok(seen.size > 20, `walked ${seen.size} files`);
    assert.deepEqual(offenders, []);
  });
});
