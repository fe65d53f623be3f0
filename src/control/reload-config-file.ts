/**
 * Reloading the config file into a running gateway: on SIGHUP, and with `start --watch` whenever
 * the file changes. The file is validated as at start (in the loader thread), then with the
 * store's entities; a file that fails either is reported (each path and its fix) and the running
 * snapshot stays. Settings read only at start (listen address, storage, logging, pricing,
 * telemetry, metrics) are named in a warning: they need a restart.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, formatProblem } from '../config/config-error.js';
import { loadConfigFileInWorker } from '../config/load-config-in-worker.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { ControlPlane } from './control-plane.js';

/** Sections applied only at start. */
const RESTART_ONLY: ReadonlyArray<readonly [string, (c: Config) => unknown]> = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['storage', (c) => c.storage],
  ['telemetry', (c) => c.telemetry],
  ['metrics', (c) => c.metrics],
  ['logging', (c) => c.logging],
  ['pricing', (c) => c.pricing],
];

export interface WatchConfigFileOptions {
  path: string;
  control: ControlPlane;
  logger: Logger;
  /** Also reload when the file changes. */
  watch: boolean;
  knownProviderTypes: readonly string[];
  /** Loads and validates the file; default: the loader thread. */
  load?: (path: string) => Promise<Config>;
}

export interface ConfigFileWatch {
  /** Reloads now; resolves true when the new file is being served. */
  reload(reason: string): Promise<boolean>;
  close(): void;
}

export function watchConfigFile(options: WatchConfigFileOptions): ConfigFileWatch {
  const { path, control, logger } = options;
  const load = options.load ?? ((p: string) => loadConfigFileInWorker(p, { knownProviderTypes: options.knownProviderTypes }));
  let running: Promise<boolean> | undefined;
  let again = false;

  const reloadOnce = async (reason: string): Promise<boolean> => {
    let next: Config;
    try {
      next = await load(path);
    } catch (e) {
      const problems = e instanceof ConfigError ? e.problems.map(formatProblem) : [(e as Error).message];
      logger.error({ reason, file: path, problems }, 'config file reload failed; still serving the running config');
      return false;
    }
    const before = control.fileConfig;
    const problems = await control.reloadFile(next);
    if (problems) {
      logger.error({ reason, file: path, problems: problems.map(formatProblem) }, 'config file reload failed with the stored entities; still serving the running config');
      return false;
    }
    const restart = RESTART_ONLY.filter(([, get]) => JSON.stringify(get(before)) !== JSON.stringify(get(next))).map(([name]) => name);
    if (restart.length) logger.warn({ settings: restart }, 'config file: these settings apply only at start; restart the gateway to apply them');
    logger.info({ reason, file: path }, 'config file reloaded');
    return true;
  };

  const reload = (reason: string): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let ok = await reloadOnce(reason);
      while (again) {
        again = false;
        ok = await reloadOnce(reason);
      }
      return ok;
    })().finally(() => (running = undefined));
    return running;
  };

  const onHup = (): void => void reload('SIGHUP');
  process.on('SIGHUP', onHup);

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (options.watch) {
    // The directory, not the file: editors save by writing a new file and renaming it over.
    const file = basename(path);
    watcher = watch(dirname(resolve(path)), (_event, name) => {
      if (name !== null && name.toString() !== file) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload('file changed'), 150);
    });
    watcher.on('error', (err) => logger.warn({ err: { message: err.message } }, 'config file watch failed; SIGHUP still reloads'));
  }

  return {
    reload,
    close() {
      process.off('SIGHUP', onHup);
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
