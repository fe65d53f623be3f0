/**
 * What a stored response's SQLite write costs the event loop while the request log writes into
 * the same file: a put every ~2 ms for 10 s against 100-row log batches, with the event loop's
 * delay measured alongside.
 *
 *   node --import tsx bench/responses-stall.ts [paced|load] [store|none]
 *
 * paced: a log batch every 100 ms (1,000 rows a second); load: batches back to back.
 * store: the store as the gateway runs it; none: no store writes (the event loop's delay from
 * everything else). Copied into a worktree of an older commit, it measures that commit's store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LogRow } from '../src/storage/log-store.js';
import type { ResponseStore } from '../src/storage/response-store.js';
import { openSqliteResponseStore } from '../src/storage/sqlite-response-store.js';
import { openSqliteWorkerLogStore } from '../src/storage/sqlite-worker-log-store.js';

const mode = process.argv[2] ?? 'paced';
const where = process.argv[3] ?? 'store';
const dir = mkdtempSync(join(tmpdir(), 'sy-responses-stall-'));
const path = join(dir, 'gateway.db');
const log = await openSqliteWorkerLogStore(path);
await log.migrate();
const store: ResponseStore = where === 'store' ? await openSqliteResponseStore(path) : Object.assign(await openSqliteResponseStore(path), { put: async () => {} });
await store.migrate();

const row = (i: number): LogRow => ({
  ts: Date.now(), request_id: `r${i}`, client_key_id: null, dialect: 'openai-chat', requested_model: 'm', alias: 'm', provider: 'openai', provider_type: 'openai', model: 'gpt',
  stream: false, status: 200, error_code: null, error_message: null, attempts: [{ target: 'openai/gpt', key_id: 'k', outcome: 'ok', duration_ms: 12 }], attempt_count: 1,
  fallback_index: 0, latency_ms: 15, ttft_ms: 14, upstream_ms: 12, input_tokens: 10, output_tokens: 5, cached_input_tokens: 0, cost_usd: 0.0001, priced: true,
  finish_reason: 'stop', content: 'metadata', request_meta: { messages: 1 }, request_body: null, response_body: null, cache: null, cache_similarity: null, cache_saved_usd: null,
});
let stop = false;
let batches = 0;
const writer = (async () => {
  let i = 0;
  while (!stop) {
    await log.insert(Array.from({ length: 100 }, () => row(i++)));
    batches++;
    if (mode === 'paced') await new Promise((r) => setTimeout(r, 100));
  }
})();

const response = { id: 'x', object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'y'.repeat(800) }] }] };
const inputItems = Array.from({ length: 6 }, (_, k) => ({ id: `i${k}`, type: 'message', role: 'user', content: 'z'.repeat(400) }));
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const times: number[] = [];
const end = Date.now() + 10_000;
for (let n = 0; Date.now() < end; n++) {
  const t = process.hrtime.bigint();
  await store.put({ id: `resp_${n}`, owner: 'o', createdAt: Date.now(), response, inputItems });
  times.push(Number(process.hrtime.bigint() - t) / 1000);
  await new Promise((r) => setTimeout(r, 2));
}
delay.disable();
stop = true;
await writer;
await store.close();
await log.close();
rmSync(dir, { recursive: true, force: true });

times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(0);
const ms = (ns: number) => (ns / 1e6).toFixed(2);
console.log(
  `${mode} ${where}: event-loop delay p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; ${times.length} puts, ${batches} log batches; ` +
    `a put µs p50 ${q(0.5)} p99 ${q(0.99)} p99.9 ${q(0.999)} max ${q(1)}`,
);
