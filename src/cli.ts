#!/usr/bin/env node
/**
 * `switchyard start | check-config | mock-upstream | --help | --version`
 *
 * Each command imports what it runs and nothing else: `start` never loads the mock upstream, nor
 * the config validator (it runs in a thread that exits, see config/load-config-in-worker.ts), so
 * the server's memory holds only the server.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config/config-error.js';

const USAGE = `Switchyard — an LLM gateway with OpenAI- and Anthropic-compatible endpoints.

Usage:
  switchyard start --config FILE [--port N] [--host H] [--watch]
                                                         start the gateway (or env SWITCHYARD_CONFIG);
                                                         SIGHUP (or, with --watch, saving the file) reloads it
  switchyard check-config FILE                           validate a config file and exit (or --config FILE,
                                                         or env SWITCHYARD_CONFIG)
  switchyard mock-upstream [--port N] [--fault SPEC]     run the bundled mock provider (drills, demos)
  switchyard --help | --version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Flags that take no value. */
const SWITCHES = new Set(['watch']);

function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"\n\n${USAGE}`);
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (SWITCHES.has(a.slice(2))) flags[a.slice(2)] = 'true';
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      flags[a.slice(2)] = v;
      i++;
    }
  }
  return flags;
}

async function start(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  for (const k of Object.keys(flags)) if (!['config', 'port', 'host', 'watch'].includes(k)) throw new Error(`unknown option --${k}\n\n${USAGE}`);
  const path = flags.config ?? process.env.SWITCHYARD_CONFIG;
  if (!path) throw new Error(`no config: pass --config FILE or set SWITCHYARD_CONFIG\n\n${USAGE}`);
  (await import('./heap-tuning.js')).tuneHeapForRequests();
  const [{ loadConfigFileInWorker }, { KNOWN_PROVIDER_TYPES }, { startGateway }] = await Promise.all([
    import('./config/load-config-in-worker.js'),
    import('./providers/registry.js'),
    import('./start-gateway.js'),
  ]);
  const config = await loadConfigFileInWorker(path, { knownProviderTypes: KNOWN_PROVIDER_TYPES });
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number, got "${flags.port}"`);
  }
  const running = await startGateway({ config, ...(port !== undefined ? { port } : {}), ...(flags.host ? { host: flags.host } : {}) });
  const lines = [
    `Switchyard ${version()} listening on ${running.url}`,
    `  OpenAI-compatible:    POST ${running.url}/v1/chat/completions   (SDK baseURL ${running.url}/v1)`,
    `  Anthropic-compatible: POST ${running.url}/anthropic/v1/messages (SDK baseURL ${running.url}/anthropic)`,
    `  Models:               GET  ${running.url}/v1/models`,
    `  Health:               GET  ${running.url}/healthz, ${running.url}/readyz`,
    `  Metrics:              GET  ${running.url}/metrics (Prometheus)`,
    `  Admin API:            GET  ${running.url}/api/logs, /api/stats, /api/providers/health ${config.server.admin_token ? '(Bearer server.admin_token)' : '(off until server.admin_token is set)'}`,
    `  Web console:          ${config.server.ui ? `${running.url}/ui/ ${config.server.admin_token ? '(sign in with server.admin_token or server.admin_read_token)' : '(set server.admin_token to sign in)'}` : 'off (server.ui: false)'}`,
    `  Providers: ${[...running.gateway.currentRuntime.providers.keys()].join(', ') || 'none'}; aliases: ${[...running.gateway.currentRuntime.aliases.keys()].join(', ') || 'none'}`,
    `  Add a provider key: under providers.<name>.keys write { value: env.OPENAI_API_KEY } and export the variable (see docs/configuration.md).`,
  ];
  // SIGHUP and --watch before the banner: whoever reads "listening" may reload at once (a SIGHUP
  // with no handler yet would end the process; a save before the watcher started would be missed).
  const { watchConfigFile } = await import('./control/reload-config-file.js');
  watchConfigFile({ path, control: running.control, logger: running.logger, watch: flags.watch === 'true', knownProviderTypes: KNOWN_PROVIDER_TYPES });
  process.stdout.write(lines.join('\n') + '\n');
  // SIGTERM / SIGINT: graceful drain (server.drain), then exit 0. A second signal cuts what is still running.
  let draining = false;
  const force = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (draining) {
      running.logger.warn({ signal }, 'second signal: ending what is still running now');
      force.abort();
      return;
    }
    draining = true;
    running.logger.info({ signal }, 'shutting down: draining');
    running.drain({ force: force.signal }).then(
      () => process.exit(0),
      (e: unknown) => {
        running.logger.error({ err: e }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function checkConfig(argv: string[]): Promise<void> {
  // `check-config FILE`, or `--config FILE` as `start` takes it, or SWITCHYARD_CONFIG.
  const args = argv[0]?.startsWith('--config=') ? [argv[0].slice('--config='.length), ...argv.slice(1)] : argv[0] === '--config' ? argv.slice(1) : argv;
  const path = args[0] ?? process.env['SWITCHYARD_CONFIG'];
  const extra = path?.startsWith('-') ? path : args[1];
  if (!path || extra !== undefined) throw new Error(`usage: switchyard check-config FILE (or --config FILE)${extra !== undefined ? `; unexpected ${JSON.stringify(extra)}` : ''}`);
  const [{ loadConfigFile }, { KNOWN_PROVIDER_TYPES }, { loadRuntime }] = await Promise.all([
    import('./config/load-config.js'),
    import('./providers/registry.js'),
    import('./routing/runtime.js'),
  ]);
  const config = await loadConfigFile(path, { knownProviderTypes: KNOWN_PROVIDER_TYPES });
  // Build the providers as `start` would (nothing is sent), so what only they check fails here too.
  await (await loadRuntime(config)).close();
  process.stdout.write(`${path}: OK (${Object.keys(config.providers).length} providers, ${Object.keys(config.models).length} aliases)\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        await start(rest);
        return -1;
      case 'check-config':
        await checkConfig(rest);
        return 0;
      case 'mock-upstream':
        await (await import('./mock-upstream/mock-upstream-cli.js')).runMockUpstreamCli(rest);
        return 0;
      case '--version':
      case '-v':
        process.stdout.write(version() + '\n');
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE + '\n');
        return 0;
      default:
        process.stderr.write(`unknown command "${cmd}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    process.stderr.write((e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e)) + '\n');
    return e instanceof ConfigError ? 78 : 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
