/**
 * Three gateway replicas on one real Postgres (started here): an edit through one replica is
 * served by the others (LISTEN/NOTIFY, a revision poll behind it); under a bounded load while an
 * alias's targets change 20 times no request fails and each is served by one route of one
 * revision, never a mix; with Postgres stopped the replicas keep serving and report it, and
 * replicas cut off from the store catch up with a change made meanwhile.
 *
 * Replicas B and C reach Postgres through a TCP relay this test can cut; A connects directly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { createLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { buildConfig, defaultConfig } from '../helpers/stack.js';
import { lineCollector } from '../helpers/log-lines.js';

const ADMIN = 'adm-replicas-0123456789';
const SECRET_KEY = randomBytes(32).toString('base64');

let mock: MockUpstream;
let pgServer: TestPostgres | undefined;
let skipReason: string | undefined;
let relay: Relay;
const replicas: Array<{ name: string; gw: RunningGateway; log: string[] }> = [];

/** A TCP relay to Postgres that can be cut (every connection reset, new ones refused) and restored. */
interface Relay {
  port: number;
  cut(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    restore: listen,
    async close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Polls `check` until it returns true, for at most `ms`. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function api(gw: RunningGateway, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'x-switchyard-actor': 'replica-test', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: (text ? JSON.parse(text) : undefined) as any };
}

interface Served {
  status: number;
  provider: string | null;
  model: string | null;
  bodyModel?: string;
}

async function chat(gw: RunningGateway, model: string): Promise<Served> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { model?: string };
  return { status: res.status, provider: res.headers.get('x-switchyard-provider'), model: res.headers.get('x-switchyard-model'), ...(body.model ? { bodyModel: body.model } : {}) };
}

async function metric(gw: RunningGateway, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

before(async () => {
  const started = await startPostgres();
  if (!started.ok) {
    if (process.env.CI === 'true') throw new Error(`Postgres is required in CI: ${started.reason}`);
    skipReason = started.reason;
    return;
  }
  pgServer = started.pg;
  mock = await startMockUpstream();
  const url = await pgServer.createDatabase('replicas');
  relay = await startRelay(Number(new URL(url).port));
  const viaRelay = url.replace(/:\d+\//, `:${relay.port}/`);
  // Started together: the migrations' advisory lock lets one of them migrate.
  const started3 = await Promise.all(
    (['A', 'B', 'C'] as const).map(async (name) => {
      const log: string[] = [];
      const config = buildConfig({
        ...defaultConfig(mock.url),
        server: { host: '127.0.0.1', port: 0, admin_token: ADMIN },
        storage: { postgres_url: name === 'A' ? url : viaRelay },
        logging: { level: 'info' },
      });
      const gw = await startGateway({ config, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'info', destination: lineCollector(log) }), env: { SWITCHYARD_SECRET_KEY: SECRET_KEY }, configPollMs: 500 });
      return { name, gw, log };
    }),
  );
  replicas.push(...started3);
});

after(async () => {
  await Promise.all(replicas.map((r) => r.gw.close()));
  await relay?.close();
  await mock?.close();
  await pgServer?.close();
});

const A = () => replicas[0]!.gw;
const others = () => replicas.slice(1).map((r) => r.gw);

describe('three replicas on one Postgres', () => {
  it('an alias edited through A is used by requests through B and C', async (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    const created = await api(A(), 'POST', '/api/models', { name: 'shared', targets: ['openai/edit-1'] });
    assert.equal(created.status, 201, created.text);
    for (const gw of others()) await waitFor('B/C to serve shared → openai/edit-1', async () => (await chat(gw, 'shared')).model === 'edit-1');
    const put = await api(A(), 'PUT', '/api/models/shared', { targets: ['anthropic/edit-2'], revision: created.json.revision });
    assert.equal(put.status, 200, put.text);
    for (const gw of others()) {
      await waitFor('B/C to serve shared → anthropic/edit-2', async () => {
        const s = await chat(gw, 'shared');
        return s.provider === 'anthropic' && s.model === 'edit-2';
      });
    }
  });

  it('a provider deleted on A is refused on B and C', async (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    const p = await api(A(), 'POST', '/api/providers', { name: 'extra', type: 'openai', base_url: `${mock.url}/v1`, keys: [{ value: 'sk-extra-literal-key-000111' }] });
    assert.equal(p.status, 201, p.text);
    for (const gw of others()) await waitFor('B/C to serve extra/x', async () => (await chat(gw, 'extra/x')).status === 200);
    assert.equal((await api(A(), 'DELETE', '/api/providers/extra')).status, 200);
    assert.equal((await chat(A(), 'extra/x')).status, 404, 'refused at once on the replica that deleted it');
    for (const gw of others()) await waitFor('B/C to refuse extra/x', async () => (await chat(gw, 'extra/x')).status === 404);
  });

  it('under load while an alias changes 20 times: no failure, each request one route of one revision', async (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    // Route i: provider openai for odd i, anthropic for even i, model "route-i".
    const providerOf = (i: number) => (i % 2 ? 'openai' : 'anthropic');
    const first = await api(A(), 'POST', '/api/models', { name: 'flip', targets: [`${providerOf(0)}/route-0`] });
    assert.equal(first.status, 201, first.text);
    for (const gw of others()) await waitFor('flip on B/C', async () => (await chat(gw, 'flip')).status === 200);

    let editsStarted = 0;
    let done = false;
    const results: Array<Served & { maxRoute: number }> = [];
    const worker = async (w: number) => {
      for (let n = 0; !done && n < 5000; n++) {
        const gw = replicas[(w + n) % 3]!.gw;
        const s = await chat(gw, 'flip');
        results.push({ ...s, maxRoute: editsStarted });
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    let revision = first.json.revision as number;
    for (let i = 1; i <= 20; i++) {
      editsStarted = i;
      const r = await api(i % 3 === 0 ? replicas[1]!.gw : A(), 'PUT', '/api/models/flip', { targets: [`${providerOf(i)}/route-${i}`], revision });
      assert.equal(r.status, 200, r.text);
      revision = r.json.revision;
      // Let some requests through on this route before the next edit.
      const seen = results.length;
      await waitFor('some requests between edits', async () => results.length >= seen + 10, 5000);
    }
    for (const gw of replicas.map((r) => r.gw)) await waitFor('every replica on route-20', async () => (await chat(gw, 'flip')).model === 'route-20');
    done = true;
    await Promise.all(workers);

    assert.ok(results.length >= 200, `enough load: ${results.length} requests`);
    const failed = results.filter((r) => r.status !== 200);
    assert.equal(failed.length, 0, `failed requests: ${JSON.stringify(failed.slice(0, 3))}`);
    const seenRoutes = new Set<number>();
    for (const r of results) {
      const m = /^route-(\d+)$/.exec(r.model ?? '');
      assert.ok(m, `model header ${r.model}`);
      const i = Number(m[1]);
      seenRoutes.add(i);
      assert.equal(r.provider, providerOf(i), `route-${i} served by ${r.provider}: a mix of two revisions`);
      assert.equal(r.bodyModel, r.model, 'the answer came from the model the headers name');
      assert.ok(i <= r.maxRoute, `route-${i} served before its edit was made`);
    }
    assert.ok(seenRoutes.size >= 10, `requests saw many of the routes: ${[...seenRoutes].sort((a, b) => a - b).join(',')}`);
  });

  it('Postgres stopped: every replica keeps serving and reports it; restarted: edits flow again', async (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    const route = await chat(A(), 'shared');
    pgServer!.stop();
    try {
      for (const r of replicas) {
        await waitFor(`${r.name}: switchyard_config_store_up 0`, async () => (await metric(r.gw, 'switchyard_config_store_up')) === 0);
        for (let i = 0; i < 5; i++) {
          const s = await chat(r.gw, 'shared');
          assert.equal(s.status, 200);
          assert.equal(s.model, route.model);
        }
        assert.equal((await fetch(`${r.gw.url}/readyz`)).status, 200);
      }
      const refused = await api(A(), 'PUT', '/api/models/shared', { targets: ['openai/during-outage'] });
      assert.equal(refused.status, 503);
      assert.equal(refused.json.error.code, 'GW_ERR_CONFIG_STORE_UNAVAILABLE');
    } finally {
      pgServer!.start();
    }
    for (const r of replicas) await waitFor(`${r.name}: switchyard_config_store_up 1`, async () => (await metric(r.gw, 'switchyard_config_store_up')) === 1);
    const put = await api(A(), 'PUT', '/api/models/shared', { targets: ['openai/after-restart'] });
    assert.equal(put.status, 200, put.text);
    for (const gw of others()) await waitFor('B/C after the restart', async () => (await chat(gw, 'shared')).model === 'after-restart');
    for (const r of replicas) {
      const down = r.log.filter((l) => l.includes('config store unreachable')).length;
      const back = r.log.filter((l) => l.includes('config store reachable again')).length;
      assert.equal(down, 1, `${r.name}: one log line when the store went away`);
      assert.equal(back, 1, `${r.name}: one log line when it came back`);
    }
    const revs = await Promise.all(replicas.map((r) => metric(r.gw, 'switchyard_config_revision')));
    assert.equal(new Set(revs).size, 1, `every replica on one revision: ${revs.join(',')}`);
  });

  it('replicas cut off from the store keep serving, then pick up a change made meanwhile', async (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    relay.cut();
    try {
      for (const gw of others()) await waitFor('B/C: store down', async () => (await metric(gw, 'switchyard_config_store_up')) === 0);
      const put = await api(A(), 'PUT', '/api/models/shared', { targets: ['anthropic/while-cut-off'] });
      assert.equal(put.status, 200, put.text);
      assert.equal((await chat(A(), 'shared')).model, 'while-cut-off');
      for (const gw of others()) {
        const s = await chat(gw, 'shared');
        assert.equal(s.status, 200);
        assert.equal(s.model, 'after-restart', 'B/C serve their last good config');
      }
    } finally {
      await relay.restore();
    }
    for (const gw of others()) await waitFor('B/C catch up', async () => (await chat(gw, 'shared')).model === 'while-cut-off');
  });

  it('no secret in any replica log', (t) => {
    if (skipReason) return t.skip(`Postgres unavailable here: ${skipReason}`);
    for (const r of replicas) for (const line of r.log) assert.ok(!line.includes('sk-extra-literal-key-000111') && !line.includes(ADMIN), line.slice(0, 200));
  });
});
