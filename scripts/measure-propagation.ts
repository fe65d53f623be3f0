/**
 * Measures config propagation across replicas: an alias is edited through replica A, and replica C
 * is asked in a tight loop until a request is served by the new route; the time from sending the
 * edit to that first answer is one sample. Three replicas share one Postgres (started here, as the
 * tests do, unless --postgres-url is given) and the bundled mock upstream.
 *
 *   node --import tsx scripts/measure-propagation.ts [--n 50] [--postgres-url URL]
 *
 * Prints each sample's p50, p90 and max in milliseconds. The default revision poll (2 s) stays on,
 * so what is measured is the LISTEN/NOTIFY path with the poll as a backstop.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load-config.js';
import { startMockUpstream } from '../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../src/observability/logger.js';
import { KNOWN_PROVIDER_TYPES } from '../src/providers/registry.js';
import { startGateway } from '../src/start-gateway.js';
import type { RunningGateway } from '../src/start-gateway.js';
import { startPostgres } from '../test/helpers/postgres.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '50' }, 'postgres-url': { type: 'string' } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1) throw new Error('--n: expected a positive integer');

const ADMIN = randomBytes(12).toString('hex');
const mock = await startMockUpstream();
let closePg: (() => Promise<void>) | undefined;
let url = values['postgres-url'];
if (!url) {
  const started = await startPostgres();
  if (!started.ok) throw new Error(`cannot start Postgres: ${started.reason}; pass --postgres-url`);
  closePg = () => started.pg.close();
  url = await started.pg.createDatabase(`propagation_${Date.now()}`);
}

const config = parseConfig(
  JSON.stringify({
    server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
    providers: { openai: { type: 'openai', base_url: `${mock.url}/v1`, keys: [{ value: 'sk-measure' }] } },
    storage: { postgres_url: url },
    logging: { level: 'silent' },
    metrics: { enabled: false },
  }),
  { format: 'json', knownProviderTypes: KNOWN_PROVIDER_TYPES, env: {} },
);
const replicas = (await Promise.all([0, 1, 2].map(() => startGateway({ config, port: 0, host: '127.0.0.1', logger: silentLogger(), env: { SWITCHYARD_SECRET_KEY: '' } })))) as [RunningGateway, RunningGateway, RunningGateway];
const [a, , c] = replicas;

async function admin(method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${a.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function servedOnC(): Promise<string | null> {
  const res = await fetch(`${c.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'measured', messages: [{ role: 'user', content: 'x' }] }) });
  await res.arrayBuffer();
  return res.headers.get('x-switchyard-model');
}

const samples: number[] = [];
try {
  await admin('POST', '/api/models', { name: 'measured', targets: ['openai/start'] });
  for (let i = 0; i < n; i++) {
    const model = `m-${i}`;
    const t0 = performance.now();
    await admin('PUT', '/api/models/measured', { targets: [`openai/${model}`] });
    const deadline = t0 + 10_000;
    while ((await servedOnC()) !== model) {
      if (performance.now() > deadline) throw new Error(`sample ${i}: C did not serve ${model} within 10 s`);
    }
    samples.push(performance.now() - t0);
  }
} finally {
  await Promise.all(replicas.map((g) => g.close()));
  await mock.close();
  await closePg?.();
}

const sorted = [...samples].sort((x, y) => x - y);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
process.stdout.write(`propagation (edit on A → first request on C served by the new route), ${n} samples: p50 ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms\n`);
