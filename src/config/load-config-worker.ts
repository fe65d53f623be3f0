/** The config loader thread (see load-config-in-worker.ts): runs loadConfigFile once, posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './config-error.js';
import type { ConfigLoaderInput, ConfigLoaderReply } from './load-config-in-worker.js';
import { loadConfigFile } from './load-config.js';

const input = workerData as ConfigLoaderInput;
let reply: ConfigLoaderReply;
try {
  const config = await loadConfigFile(input.path, { knownProviderTypes: input.knownProviderTypes, ...(input.env ? { env: input.env } : {}) });
  reply = { ok: true, config };
} catch (e) {
  reply =
    e instanceof ConfigError
      ? { ok: false, problems: e.problems, ...(e.source !== undefined ? { source: e.source } : {}) }
      : { ok: false, message: e instanceof Error ? e.message : String(e) };
}
parentPort!.postMessage(reply);
