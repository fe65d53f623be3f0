/** Builds and starts a gateway from a validated config: used by the CLI and the end-to-end tests. */
import type { Config } from './config/schema.js';
import { Gateway } from './gateway.js';
import { createObservability } from './observability/create-observability.js';
import type { Observability } from './observability/create-observability.js';
import { createLogger } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import type { GatewayPlugin } from './plugins/plugin.js';
import { loadRuntime } from './routing/runtime.js';
import { createAdminApi } from './server/admin-api.js';
import { createApp } from './server/app.js';
import type { App } from './server/app.js';
import type { DrainReport } from './server/drain.js';

export interface StartOptions {
  config: Config;
  /** Overrides config.server.port / host. */
  port?: number;
  host?: string;
  logger?: Logger;
  /** Extra plugins, after the built-in ones (metrics, access log, request log, tracing). */
  plugins?: GatewayPlugin[];
}

export interface RunningGateway {
  url: string;
  port: number;
  host: string;
  gateway: Gateway;
  app: App;
  logger: Logger;
  /** Metrics, request log and tracing built from config. */
  observability: Observability;
  close(): Promise<void>;
  /**
   * Graceful shutdown (server.drain): drains the server (readiness 503, in-flight requests and
   * streams finish, bounded by the timeout), then closes as close() does, flushing the plugins.
   */
  drain(options?: { force?: AbortSignal }): Promise<DrainReport>;
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const runtime = await loadRuntime(config);
  const obs = await createObservability({ config, runtime, logger });
  const plugins = [...obs.plugins, ...(options.plugins ?? [])];
  const gateway = new Gateway({ runtime, logger, plugins });
  obs.attach(gateway);
  const admin = createAdminApi({ adminToken: () => gateway.currentRuntime.config.server.admin_token, requestLog: obs.requestLog, ...(obs.metrics ? { metrics: obs.metrics } : {}), logger });
  const app = createApp({ gateway, logger, admin });
  let addr: Awaited<ReturnType<App['listen']>>;
  try {
    addr = await app.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  } catch (e) {
    await Promise.all(plugins.map((p) => p.close?.()));
    throw e;
  }
  const running: RunningGateway = {
    ...addr,
    gateway,
    app,
    logger,
    observability: obs,
    async drain(drainOptions) {
      const report = await app.drain(drainOptions);
      await running.close();
      return report;
    },
    async close() {
      await app.close();
      await gateway.close();
      await Promise.all(plugins.map((p) => p.close?.()));
    },
  };
  return running;
}
