/** Builds and starts a gateway from a validated config: used by the CLI and the end-to-end tests. */
import type { Config } from './config/schema.js';
import { ControlPlane } from './control/control-plane.js';
import { Gateway } from './gateway.js';
import { cacheMiddleware } from './cache/cache-middleware.js';
import { CacheService } from './cache/cache-service.js';
import { governanceMiddleware } from './governance/governance-middleware.js';
import { McpConnections } from './mcp/mcp-connections.js';
import { mcpMiddleware } from './mcp/mcp-middleware.js';
import { GovernanceService } from './governance/governance-service.js';
import type { MiddlewareFactory } from './gateway.js';
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
import { createAdminRouter } from './server/admin/admin-router.js';
import { createConsoleUi } from './server/console-ui.js';
import { OverviewRing } from './plugins/overview/overview-ring.js';
import type { Clock } from './routing/clock.js';

export interface StartOptions {
  config: Config;
  /** Overrides config.server.port / host. */
  port?: number;
  host?: string;
  logger?: Logger;
  /** Extra plugins, after the built-in ones (metrics, access log, request log, tracing). */
  plugins?: GatewayPlugin[];
  /** Extra middleware factories, inside the built-in ones (governance, cache, mcp): tests and embedders. */
  middleware?: MiddlewareFactory[];
  /** Environment for env.NAME references in the config store and SWITCHYARD_SECRET_KEY. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** How often replicas poll the config store's latest revision (Postgres). Default 2000 ms. */
  configPollMs?: number;
  /** The wall clock governance's windows and expiry use (tests pin it inside one window). Default Date.now. */
  governanceClock?: () => number;
  /** The gateway's clock (deadlines, breakers, cache expiry); tests pass a fake one. Default: the system clock. */
  clock?: Clock;
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
  /** The config store, revisions and live reload (admin API edits, SIGHUP). */
  control: ControlPlane;
  /** The MCP server connections (mcp.servers), kept across config swaps. */
  mcp: McpConnections;
  /** The response cache's stores and indexes, with its counters. */
  cache: CacheService;
  close(): Promise<void>;
  /**
   * Graceful shutdown (server.drain): drains the server (readiness 503, in-flight requests and
   * streams finish, bounded by the timeout), then closes as close() does, flushing the plugins.
   */
  drain(options?: { force?: AbortSignal }): Promise<DrainReport>;
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: options.config.logging.level });
  // The file is the bootstrap; the store adds what the admin API created (control/).
  const control = await ControlPlane.open({ file: options.config, logger, ...(options.env ? { env: options.env } : {}), ...(options.configPollMs ? { pollMs: options.configPollMs } : {}) });
  const config = control.initialConfig();
  const runtime = await loadRuntime(config);
  const obs = await createObservability({ config, runtime, logger });
  // The console's Overview: a ring of the last hour's traffic (GET /api/overview).
  const overviewRing = new OverviewRing();
  const plugins: GatewayPlugin[] = [...obs.plugins, overviewRing, ...(options.plugins ?? [])];
  // Outermost first: governance (refuses before anything is spent), then cache, then mcp.
  const governance = new GovernanceService(logger);
  const cache = new CacheService(logger);
  // MCP connections outlive snapshot swaps: made once, reconciled against each snapshot's mcp.servers.
  const mcp = new McpConnections({ logger });
  const middleware: MiddlewareFactory[] = [governanceMiddleware({ service: governance, ...(options.governanceClock ? { clock: options.governanceClock } : {}) }), cacheMiddleware({ service: cache }), mcpMiddleware({ connections: mcp }), ...(options.middleware ?? [])];
  const gateway = new Gateway({ runtime, logger, plugins, middleware, ...(options.clock ? { clock: options.clock } : {}) });
  if (config.governance.enabled) await governance.ready();
  await cache.ready();
  await mcp.reconcile(config.mcp);
  gateway.onSwap((rt) => void mcp.reconcile(rt.config.mcp));
  obs.attach(gateway);
  const admin = createAdminApi({ adminToken: () => gateway.currentRuntime.config.server.admin_token, adminReadToken: () => gateway.currentRuntime.config.server.admin_read_token, requestLog: obs.requestLog, ...(obs.metrics ? { metrics: obs.metrics } : {}), logger });
  control.attach(gateway);
  obs.metrics?.observeConfigStore(() => control.status());
  obs.metrics?.observeGovernanceStore(() => governance.status());
  if (obs.metrics) {
    const metrics = obs.metrics;
    mcp.onCall((c) => metrics.mcpToolCall(c));
  }
  obs.metrics?.observeCache({ status: () => cache.status(), errors: () => cache.counters.errors, admission: () => cache.admission });
  const tokens = () => ({ admin: gateway.currentRuntime.config.server.admin_token, read: gateway.currentRuntime.config.server.admin_read_token });
  const adminRouter = createAdminRouter({ control, tokens, logger, routes: async () => {
      // Loaded on the first admin request: the resources validate with zod (see start-gateway.test.ts).
      const [{ teamsResource }, { virtualKeysResource }, { cacheResource }, { mcpServersResource }, { consoleResource }] = await Promise.all([
        import('./server/admin/teams-resource.js'),
        import('./server/admin/virtual-keys-resource.js'),
        import('./server/admin/cache-resource.js'),
        import('./server/admin/mcp-servers-resource.js'),
        import('./server/admin/console-resource.js'),
      ]);
      return [
        ...teamsResource(governance),
        ...virtualKeysResource(governance),
        ...cacheResource({ service: cache, config: () => gateway.currentRuntime.config.cache }),
        ...mcpServersResource({ connections: mcp, connectTimeoutMs: () => gateway.currentRuntime.config.mcp.connect_timeout_ms }),
        ...consoleResource({ ring: overviewRing, requestLog: obs.requestLog, gateway }),
      ];
    } });
  const consoleUi = createConsoleUi({ enabled: () => gateway.currentRuntime.config.server.ui });
  const app = createApp({ gateway, logger, admin, adminRouter, consoleUi, mcp });
  let addr: Awaited<ReturnType<App['listen']>>;
  try {
    addr = await app.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  } catch (e) {
    await Promise.all(plugins.map((p) => p.close?.()));
    await control.close();
    await governance.close();
    await cache.close();
    await mcp.close();
    throw e;
  }
  const running: RunningGateway = {
    ...addr,
    gateway,
    app,
    logger,
    observability: obs,
    control,
    mcp,
    cache,
    async drain(drainOptions) {
      const report = await app.drain(drainOptions);
      await running.close();
      return report;
    },
    async close() {
      await app.close();
      await control.close();
      await gateway.close();
      await governance.close();
      await cache.close();
      await mcp.close();
      await Promise.all(plugins.map((p) => p.close?.()));
    },
  };
  return running;
}
