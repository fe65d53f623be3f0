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
import { Worker } from 'node:worker_threads';
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

/**
 * The thread's entry beside this module: .js when built, .ts under tsx (tests), where a `.js` URL
 * would not be mapped to the `.ts` file as an import would.
 */
const ENTRY = new URL(`./load-config-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A small young generation: the thread allocates little that lives, and on Node 24 the pages of a
 * finished thread's young generation stay resident until the main heap's next memory-reducing GC
 * (seconds later): at the default size that was ~11 MB of RSS right after startup, at 2 MB ~5 MB.
 */
const LIMITS = { maxYoungGenerationSizeMb: 2 };

function startThread(input: ConfigLoaderInput): Worker {
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, { workerData: input, resourceLimits: LIMITS });
  // Under tsx: Node 20's worker threads do not get tsx's hooks from `--import tsx`, so the thread
  // registers them before importing its entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(code, { eval: true, workerData: input, resourceLimits: LIMITS });
}

/** Reads, validates and compiles the config file in a worker thread. Throws ConfigError. */
export function loadConfigFileInWorker(path: string, opts: LoadConfigFileOptions): Promise<Config> {
  const input: ConfigLoaderInput = { path, knownProviderTypes: [...opts.knownProviderTypes], ...(opts.env ? { env: { ...opts.env } } : {}) };
  return new Promise<Config>((resolve, reject) => {
    const thread = startThread(input);
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
