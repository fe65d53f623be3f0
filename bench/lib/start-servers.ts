/** Starts the processes a run needs: the mock, and any of the bare hop, Switchyard and Portkey. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwitchyardBuild } from './build-switchyard.js';
import { freePort, SERVER_PROBE, startServer } from './child-server.js';
import type { ServerProcess } from './child-server.js';
import { startRedis } from '../../test/helpers/redis.js';
import type { TestRedis } from '../../test/helpers/redis.js';
import type { ServerId } from './scenarios.js';
import { configKeysOf, governedConfigExtra, switchyardBenchConfig } from './switchyard-config.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Servers {
  mock: ServerProcess;
  bare?: ServerProcess;
  switchyard?: ServerProcess;
  'switchyard-governed'?: ServerProcess;
  'switchyard-base'?: ServerProcess;
  portkey?: ServerProcess;
  /** The governed server's counter store (redis-server on a free loopback port). */
  redis?: TestRedis;
}

export interface StartServersOptions {
  mock: 'fast' | 'project';
  needed: Set<ServerId>;
  /** Built Switchyard; without it <switchyardRoot>/src/cli.ts runs under tsx. */
  build?: SwitchyardBuild;
  /** The source tree Switchyard comes from (default: this checkout). */
  switchyardRoot?: string;
  /** `switchyard-base`: the baseline tree and its build (--baseline-root). */
  baseline?: { root: string; build?: SwitchyardBuild };
  /** Extra environment for the Switchyard process (e.g. MALLOC_ARENA_MAX). */
  switchyardEnv?: Record<string, string>;
  /** Where the generated Switchyard config is written. */
  workDir: string;
  configExtra?: Record<string, unknown>;
  providerExtra?: Record<string, unknown>;
  /** Configure the cached alias (the cache scenarios run). */
  cachedAlias?: boolean;
  /** Extra node flags per server (--cpu-prof ..., --expose-gc). */
  nodeArgs?: Partial<Record<ServerId, string[]>>;
  log: (line: string) => void;
}

export function serverFor(servers: Servers, id: ServerId): ServerProcess | undefined {
  return id === 'mock' ? servers.mock : servers[id];
}

export function allServers(servers: Servers): ServerProcess[] {
  return [servers.mock, servers.bare, servers.switchyard, servers['switchyard-governed'], servers['switchyard-base'], servers.portkey].filter((s): s is ServerProcess => s !== undefined);
}

export async function stopServers(servers: Servers): Promise<void> {
  for (const s of [servers.portkey, servers['switchyard-base'], servers['switchyard-governed'], servers.switchyard, servers.bare, servers.mock]) await s?.stop();
  await servers.redis?.close();
}

export interface SwitchyardProcessOptions {
  /** Names the process, its config file and its data directory under workDir. */
  id: string;
  mockUrl: string;
  workDir: string;
  build?: SwitchyardBuild;
  switchyardRoot?: string;
  switchyardEnv?: Record<string, string>;
  extra?: Record<string, unknown>;
  providerExtra?: Record<string, unknown>;
  cachedAlias?: boolean;
  nodeArgs?: Partial<Record<string, string[]>>;
  /** The node binary for this process (default: the bench's own). */
  execPath?: string;
  log: (line: string) => void;
}

/** One Switchyard process on the bench config (built JS when a build is given, else tsx from its root). */
export async function startSwitchyardProcess(o: SwitchyardProcessOptions): Promise<ServerProcess> {
  const configPath = join(o.workDir, `${o.id}.bench.json`);
  const swRoot = o.switchyardRoot ?? ROOT;
  const knownKeys = await configKeysOf(o.build ? join(o.build.dir, 'dist', 'config', 'schema.js') : join(swRoot, 'src', 'config', 'schema.ts'));
  mkdirSync(join(o.workDir, o.id), { recursive: true });
  const config = switchyardBenchConfig({ mockUrl: o.mockUrl, workDir: join(o.workDir, o.id), knownKeys, extra: o.extra ?? {}, ...(o.providerExtra ? { providerExtra: o.providerExtra } : {}), cachedAlias: o.cachedAlias === true });
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const entry = o.build ? [o.build.cli] : ['--import', 'tsx', join(swRoot, 'src/cli.ts')];
  const server = await startServer({
    name: o.id,
    args: [...(o.nodeArgs?.[o.id] ?? []), '--import', SERVER_PROBE, ...entry, 'start', '--config', configPath],
    ready: /listening on (http:\/\/\S+)/,
    cwd: o.workDir,
    ...(o.switchyardEnv ? { env: o.switchyardEnv } : {}),
    ...(o.execPath ? { execPath: o.execPath } : {}),
  });
  const extras = ['metrics', 'storage', 'telemetry', 'governance'].filter((k) => k in config);
  o.log(`${o.id} (${o.build ? 'built JS' : 'tsx'}${o.execPath ? `, ${o.execPath}` : ''}) pid ${server.pid} at ${server.url}; config: ${extras.length ? extras.join(' + ') : 'no observability keys in this tree'}`);
  return server;
}

export async function startServers(o: StartServersOptions): Promise<Servers> {
  const { log } = o;
  const probe = ['--import', SERVER_PROBE];
  const urlLine = /^(http:\/\/127\.0\.0\.1:\d+)\s*$/m;
  const mock = await startServer({
    name: 'mock',
    args: ['--import', 'tsx', ...probe, join(ROOT, 'bench/servers/mock-server.ts'), '--mode', o.mock],
    ready: urlLine,
    cwd: ROOT,
  });
  log(`mock upstream (${o.mock}) pid ${mock.pid} at ${mock.url}`);
  const servers: Servers = { mock };
  try {
    if (o.needed.has('bare')) {
      servers.bare = await startServer({
        name: 'bare',
        args: [...(o.nodeArgs?.bare ?? []), ...probe, join(ROOT, 'bench/servers/bare-proxy.mjs'), '--upstream', mock.url],
        ready: urlLine,
        cwd: ROOT,
      });
      log(`bare hop pid ${servers.bare.pid} at ${servers.bare.url}`);
    }
    const startSwitchyard = (id: 'switchyard' | 'switchyard-governed', extra: Record<string, unknown>) =>
      startSwitchyardProcess({ ...o, id, mockUrl: mock.url, extra: { ...extra, ...o.configExtra } });
    if (o.needed.has('switchyard')) servers.switchyard = await startSwitchyard('switchyard', {});
    if (o.needed.has('switchyard-base') && o.baseline) {
      // Not `...o`: this tree's build and environment must not leak into the baseline's process.
      const { root, build } = o.baseline;
      servers['switchyard-base'] = await startSwitchyardProcess({
        id: 'switchyard-base',
        mockUrl: mock.url,
        workDir: o.workDir,
        switchyardRoot: root,
        ...(build ? { build } : {}),
        extra: o.configExtra ?? {},
        ...(o.providerExtra ? { providerExtra: o.providerExtra } : {}),
        ...(o.cachedAlias ? { cachedAlias: true } : {}),
        ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
        log,
      });
    }
    if (o.needed.has('switchyard-governed')) {
      const r = await startRedis();
      if (!r.ok) throw new Error(`switchyard-governed needs redis-server: ${r.reason}`);
      servers.redis = r.redis;
      log(`redis (governance counters) pid ${r.redis.pid ?? '?'} at ${r.redis.url}`);
      servers['switchyard-governed'] = await startSwitchyard('switchyard-governed', governedConfigExtra(r.redis.url));
    }
  } catch (e) {
    await stopServers(servers);
    throw e;
  }
  if (o.needed.has('portkey')) {
    const entry = join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');
    try {
      if (!existsSync(entry)) throw new Error(`${relative(ROOT, entry)} is missing (npm ci?)`);
      const port = await freePort();
      servers.portkey = await startServer({
        name: 'portkey',
        // --headless: no web UI and no log-stream route. The guard binds it to 127.0.0.1 (it would
        // listen on every interface) and refuses any outbound fetch that is not to loopback.
        args: [...(o.nodeArgs?.portkey ?? []), ...probe, '--import', join(ROOT, 'bench/servers/loopback-guard.mjs'), entry, `--port=${port}`, '--headless'],
        ready: /Ready for connections/,
        url: `http://127.0.0.1:${port}`,
        waitForPort: port,
        cwd: ROOT,
        timeoutMs: 30_000,
      });
      log(`portkey pid ${servers.portkey.pid} at ${servers.portkey.url}`);
    } catch (e) {
      log(`\n*** Portkey's gateway did not start; its rows are skipped. ***\n${(e as Error).message}\n`);
    }
  }
  return servers;
}
