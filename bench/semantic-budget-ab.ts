/**
 * The semantic cache's embeddings on a key's budget, interleaved in one process: semantic cache
 * on, governance on (memory counters), every request a semantic miss (an embedding, then the
 * model). Key `metered` has a USD budget, so each request reserves and settles itself and its
 * lookup's embedding; key `free` has no limits, so governance does neither. Prints each round's
 * throughput and the median ratio of 10 rounds.
 *
 *   node --import tsx bench/semantic-budget-ab.ts
 */
import { Pool } from 'undici';
import { startMockUpstream } from '../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../src/observability/logger.js';
import { startGateway } from '../src/start-gateway.js';
import { buildConfig, defaultConfig } from '../test/helpers/stack.js';

const mock = await startMockUpstream();
const base = defaultConfig(mock.url) as { models: Record<string, unknown> };
const K = { metered: 'sk-sy-bench-metered-0000000001', free: 'sk-sy-bench-free-00000000000001' };
const gw = await startGateway({
  config: buildConfig({
    ...base,
    models: { ...base.models, embed: { targets: ['openai/text-embedding-3-small'] }, faq: { targets: ['openai/gpt-4o-mini'], cache: { semantic: true } } },
    cache: { enabled: true, ttl_s: 600, semantic: { enabled: false, embedding_model: 'embed', threshold: 0.99 } },
    governance: { enabled: true, counters: { type: 'memory' } },
    virtual_keys: { metered: { key: K.metered, budgets: [{ max_usd: 1e6, period: 'total' }] }, free: { key: K.free } },
  }),
  port: 0, host: '127.0.0.1', logger: silentLogger(),
});
const pool = new Pool(gw.url, { connections: 16 });
let n = 0;
async function run(key: string, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < end) {
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'faq', messages: [{ role: 'user', content: `question number ${n++} about ${n * 7} things` }] }) });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(String(r.statusCode));
      done++;
    }
  }));
  return (done / ms) * 1000;
}
await run(K.free, 2000); await run(K.metered, 2000);
const ratios: number[] = [];
for (let i = 0; i < 10; i++) {
  const order = i % 2 ? [K.free, K.metered] : [K.metered, K.free];
  const r: Record<string, number> = {};
  for (const k of order) r[k] = await run(k, 3000);
  ratios.push(r[K.metered]! / r[K.free]!);
  mock.reset();
  console.log(`round ${i + 1}: metered ${r[K.metered]!.toFixed(0)} req/s, free ${r[K.free]!.toFixed(0)} req/s`);
}
ratios.sort((a, b) => a - b);
console.log(`metered / free, median of 10 rounds: ${(100 * (ratios[4]! + ratios[5]!) / 2).toFixed(1)} %`);
await pool.close(); await gw.close(); await mock.close();
