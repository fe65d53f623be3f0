/** Builds and starts a gateway from a validated config: used by the CLI and the end-to-end tests. */
import type { Config } from './config/schema.js';
import { Gateway } from './gateway.js';
import { createLogger } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import type { GatewayPlugin } from './plugins/plugin.js';
import { compileRuntime } from './routing/runtime.js';
import { createApp } from './server/app.js';
import type { App } from './server/app.js';

export interface StartOptions {
  config: Config;
  /** Overrides config.server.port / host. */
  port?: number;
  host?: string;
  logger?: Logger;
  plugins?: GatewayPlugin[];
}

export interface RunningGateway {
  url: string;
  port: number;
  host: string;
  gateway: Gateway;
  app: App;
  logger: Logger;
  close(): Promise<void>;
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const runtime = compileRuntime(config);
  const plugins = options.plugins ?? [];
  const gateway = new Gateway({ runtime, logger, plugins });
  const app = createApp({ gateway, logger });
  const addr = await app.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  return {
    ...addr,
    gateway,
    app,
    logger,
    async close() {
      await app.close();
      await gateway.close();
      await Promise.all(plugins.map((p) => p.close?.()));
    },
  };
}
