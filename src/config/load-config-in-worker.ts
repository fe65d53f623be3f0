/**
 * `loadConfigFile` in a short-lived worker thread, for the long-running server. Validating a config
 * takes zod, the YAML parser and the built config schema; imported into the server's own isolate
 * they would stay in its heap for as long as it runs (ES modules are never unloaded), about 6 MB of
 * RSS at startup for a process that only needs the plain result. The thread answers once and
 * exits, and its heap goes with it.
 *
 * Same result as loadConfigFile, and the same ConfigError (rebuilt from its problems, so the
 * message is identical); any other failure comes back as an Error with the original message.
 */
import { siblingModule, startModuleWorker } from '../worker-thread.js';
import { ConfigError } from './config-error.js';
import type { ConfigProblem } from './config-error.js';
import type { LoadConfigFileOptions } from './load-config.js';
import type { Config } from './schema.js';

/** What the thread is started with (workerData). */
export interface ConfigLoaderInput {
  path: string;
  knownProviderTypes: string[];
  env?: Record<string, string | undefined>;
}

/** The thread's one message. */
export type ConfigLoaderReply = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[]; source?: string } | { ok: false; message: string };

const ENTRY = siblingModule(import.meta.url, 'load-config-worker');

/**
 * A small young generation: the thread allocates little that lives, and on Node 24 the pages of a
 * finished thread's young generation stay resident until the main heap's next memory-reducing GC
 * (seconds later): at the default size that was ~11 MB of RSS right after startup, at 2 MB ~5 MB.
 */
const LIMITS = { maxYoungGenerationSizeMb: 2 };

/** Reads, validates and compiles the config file in a worker thread. Throws ConfigError. */
export function loadConfigFileInWorker(path: string, opts: LoadConfigFileOptions): Promise<Config> {
  const input: ConfigLoaderInput = { path, knownProviderTypes: [...opts.knownProviderTypes], ...(opts.env ? { env: { ...opts.env } } : {}) };
  return new Promise<Config>((resolve, reject) => {
    const thread = startModuleWorker(ENTRY, { workerData: input, resourceLimits: LIMITS });
    let answered = false;
    thread.once('message', (reply: ConfigLoaderReply) => {
      answered = true;
      if (reply.ok) resolve(reply.config);
      else if ('problems' in reply) reject(new ConfigError(reply.problems, reply.source !== undefined ? { source: reply.source } : {}));
      else reject(new Error(reply.message));
    });
    thread.once('error', (err) => {
      if (answered) return;
      answered = true;
      reject(err);
    });
    thread.once('exit', (code) => {
      if (answered) return;
      answered = true;
      reject(new Error(`the config loader thread stopped (exit code ${code}) before answering`));
    });
  });
}
