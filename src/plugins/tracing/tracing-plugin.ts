/**
 * OpenTelemetry tracing, loaded only when `telemetry.otlp_endpoint` is set (start-gateway imports
 * this module dynamically). Each finished request becomes a SERVER span with one CLIENT span per
 * upstream attempt, built from the request record with their real start and end times and the
 * GenAI semantic-convention attributes, under the client's `traceparent` when it sent one. Spans
 * are batched and exported as OTLP/HTTP JSON; nothing is done on the request path itself.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpendCalculator } from '../../pricing/spend.js';
import type { Runtime } from '../../routing/runtime.js';
import type { GatewayPlugin, RequestRecord } from '../plugin.js';

export interface TracingPluginOptions {
  /** Collector base URL (…:4318) or the full …/v1/traces URL. */
  endpoint: string;
  serviceName: string;
  serviceVersion?: string;
  runtime: () => Runtime;
  spend: SpendCalculator;
  /** For tests: export somewhere else. */
  exporter?: SpanExporter;
}

export interface TracingPlugin extends GatewayPlugin {
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Exports what is left and shuts the exporter down. */
  close(): Promise<void>;
}

/** gen_ai.provider.name values of the semantic conventions, by provider type; others use the type. */
const SEMCONV_PROVIDER: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  gemini: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  azure: 'azure.ai.openai',
  mistral: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
};

const getter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

export function createTracingPlugin(o: TracingPluginOptions): TracingPlugin {
  const exporter = o.exporter ?? new OTLPTraceExporter({ url: tracesUrl(o.endpoint) });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': o.serviceName, ...(o.serviceVersion ? { 'service.version': o.serviceVersion } : {}) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 8192, scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('switchyard');
  const propagator = new W3CTraceContextPropagator();

  const providerType = (name: string | undefined, fallback?: string): string | undefined => {
    if (!name) return fallback;
    return o.runtime().providers.get(name)?.type ?? fallback;
  };
  const semconvProvider = (type: string | undefined) => (type ? (SEMCONV_PROVIDER[type] ?? type) : undefined);

  return {
    name: 'tracing',
    onRequestEnd(r: RequestRecord) {
      let parent: Context = ROOT_CONTEXT;
      if (r.traceparent) {
        const carrier: Record<string, string> = { traceparent: r.traceparent };
        if (r.tracestate) carrier['tracestate'] = r.tracestate;
        parent = propagator.extract(ROOT_CONTEXT, carrier, getter);
      }
      const start = r.startedAt;
      const end = r.startedAt + r.latencyMs;
      const type = r.providerType || providerType(r.provider);
      const q = r.request;
      const attrs: Attributes = {
        'gen_ai.operation.name': 'chat',
        'http.response.status_code': r.status,
        'switchyard.request_id': r.requestId,
        'switchyard.dialect': r.dialect,
        'switchyard.stream': r.stream,
        'switchyard.attempts': r.attempts.filter((a) => a.outcome !== 'skipped').length,
      };
      set(attrs, 'gen_ai.request.model', r.requestedModel);
      set(attrs, 'gen_ai.provider.name', semconvProvider(type));
      set(attrs, 'gen_ai.system', semconvProvider(type));
      set(attrs, 'gen_ai.response.model', r.responseModel ?? r.upstreamModel);
      set(attrs, 'gen_ai.request.max_tokens', q?.maxTokens);
      set(attrs, 'gen_ai.request.temperature', q?.temperature);
      set(attrs, 'gen_ai.request.top_p', q?.topP);
      set(attrs, 'gen_ai.response.id', r.response?.id);
      if (r.finishReason) attrs['gen_ai.response.finish_reasons'] = [r.finishReason];
      if (r.usage) {
        attrs['gen_ai.usage.input_tokens'] = r.usage.inputTokens;
        attrs['gen_ai.usage.output_tokens'] = r.usage.outputTokens;
        set(attrs, 'gen_ai.usage.cache_read.input_tokens', r.usage.cachedInputTokens);
      }
      set(attrs, 'switchyard.alias', r.alias);
      set(attrs, 'switchyard.provider', r.provider);
      set(attrs, 'switchyard.fallback_index', r.fallbackIndex);
      set(attrs, 'switchyard.ttft_ms', r.ttftMs);
      set(attrs, 'switchyard.client_key_id', r.clientKeyId);
      attrs['switchyard.cost_usd'] = o.spend.of(r).costUsd;
      set(attrs, 'error.type', r.errorCode);

      const span = tracer.startSpan(`chat ${r.alias ?? r.upstreamModel ?? 'unknown'}`, { kind: SpanKind.SERVER, startTime: start, attributes: attrs }, parent);
      if (r.errorCode) span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode });
      const inRequest = trace.setSpan(parent, span);

      // Attempts ran one after another (a hedge overlaps the attempt before it).
      let cursor = start;
      let attemptMs = 0;
      for (const a of r.attempts) attemptMs += a.durationMs;
      for (const a of r.attempts) {
        if (a.outcome === 'skipped') {
          span.addEvent('target skipped', { 'switchyard.target': a.target, 'switchyard.reason': a.message ?? a.code ?? '' }, cursor);
          continue;
        }
        const aStart = a.hedge ? Math.max(start, cursor - a.durationMs) : cursor;
        const extra = a.outcome === 'ok' && r.stream ? Math.max(0, r.upstreamMs - attemptMs) : 0;
        const aEnd = Math.min(end, aStart + a.durationMs + extra);
        if (!a.hedge) cursor = aStart + a.durationMs;
        const slash = a.target.indexOf('/');
        const pName = a.target.slice(0, slash);
        const model = a.target.slice(slash + 1);
        const pType = providerType(pName);
        const aa: Attributes = {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': model,
          'switchyard.target': a.target,
          'switchyard.provider': pName,
          'switchyard.outcome': a.outcome,
        };
        set(aa, 'gen_ai.provider.name', semconvProvider(pType));
        set(aa, 'gen_ai.system', semconvProvider(pType));
        set(aa, 'switchyard.key_id', a.keyId);
        set(aa, 'http.response.status_code', a.status);
        set(aa, 'error.type', a.code);
        if (a.hedge) aa['switchyard.hedge'] = true;
        if (a.outcome === 'ok') {
          set(aa, 'gen_ai.response.model', r.responseModel ?? model);
          if (r.usage) {
            aa['gen_ai.usage.input_tokens'] = r.usage.inputTokens;
            aa['gen_ai.usage.output_tokens'] = r.usage.outputTokens;
          }
          if (r.finishReason) aa['gen_ai.response.finish_reasons'] = [r.finishReason];
        }
        const child: Span = tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT, startTime: aStart, attributes: aa }, inRequest);
        if (a.outcome === 'error') child.setStatus({ code: SpanStatusCode.ERROR, message: a.code ?? 'error' });
        child.end(aEnd);
      }
      span.end(end);
    },
    forceFlush: () => provider.forceFlush(),
    async close() {
      await provider.shutdown();
    },
  };
}

function set(attrs: Attributes, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined && value !== '') attrs[key] = value;
}
