/**
 * Builds the observability plugins from config: Prometheus metrics, the access log, the request
 * log (SQLite or Postgres) and, only when an OTLP endpoint is set, tracing (imported dynamically,
 * so without it no OpenTelemetry code is loaded).
 */
import type { Config } from '../config/schema.js';
import type { MetricsPlugin, MetricsSource } from '../plugins/metrics/metrics-plugin.js';
import { createMetricsPlugin } from '../plugins/metrics/metrics-plugin.js';
import type { GatewayPlugin } from '../plugins/plugin.js';
import { createAccessLogPlugin } from '../plugins/request-log/access-log-plugin.js';
import { createRequestLogPlugin } from '../plugins/request-log/request-log-plugin.js';
import type { RequestLogPlugin } from '../plugins/request-log/request-log-plugin.js';
import { PriceTable } from '../pricing/price-table.js';
import { SpendCalculator } from '../pricing/spend.js';
import type { Runtime } from '../routing/runtime.js';
import { openLogStore } from '../storage/open-log-store.js';
import type { Logger } from './logger.js';

export interface Observability {
  /** In the order the gateway should call them. */
  plugins: GatewayPlugin[];
  metrics?: MetricsPlugin;
  requestLog: RequestLogPlugin;
  spend: SpendCalculator;
  /** Connects scrape-time metrics (breakers) and runtime lookups to the running gateway. */
  attach(source: MetricsSource): void;
}

export interface ObservabilityOptions {
  config: Config;
  runtime: Runtime;
  logger: Logger;
}

export async function createObservability(options: ObservabilityOptions): Promise<Observability> {
  const { config, logger } = options;
  let source: MetricsSource | undefined;
  const runtime = () => source?.currentRuntime ?? options.runtime;
  const spend = new SpendCalculator(new PriceTable({ overrides: config.pricing.overrides }));

  const store = await openLogStore(config.storage);
  const requestLog = createRequestLogPlugin({
    store,
    spend,
    logger: logger.child({ component: 'request-log' }),
    content: config.logging.content,
    queueSize: config.logging.queue_size,
    flushIntervalMs: config.logging.flush_interval_ms,
    retentionDays: config.logging.retention_days,
  });

  const plugins: GatewayPlugin[] = [];
  let metrics: MetricsPlugin | undefined;
  if (config.metrics.enabled) {
    metrics = createMetricsPlugin({ runtime: options.runtime, spend });
    metrics.observeRequestLog(() => requestLog.counters());
    plugins.push(metrics);
  }
  plugins.push(createAccessLogPlugin({ logger, spend }), requestLog);

  if (config.telemetry.otlp_endpoint) {
    const { createTracingPlugin } = await import('../plugins/tracing/tracing-plugin.js');
    plugins.push(createTracingPlugin({ endpoint: config.telemetry.otlp_endpoint, serviceName: config.telemetry.service_name, runtime, spend }));
  }

  return {
    plugins,
    ...(metrics ? { metrics } : {}),
    requestLog,
    spend,
    attach(s) {
      source = s;
      metrics?.attach(s);
    },
  };
}
