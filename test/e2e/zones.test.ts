/**
 * Three-zone failure drill. Three gateway replicas (`switchyard start`, real processes), each in its
 * own network namespace ("zone"); the mock upstream in a fourth; all joined by a bridge in a fifth
 * namespace, with the test (the client) on the host end of one more veth. The request log goes to a
 * real Postgres and governance's counters to a real Redis, both shared by the replicas and each
 * reached through a TCP relay on the host (the relay is what "stops": it resets and refuses).
 * Governance is on (`counters: redis`, `on_counter_store_error: fail_open`) and the client sends one
 * file-defined virtual key whose limits are far from reached.
 *
 * The client does what a headless Service plus a careful client does: it polls each replica's
 * /readyz (like the endpoints controller, every 200 ms), sends round robin to the ready ones, and
 * retries a failed attempt (refused, reset, no answer within the attempt timeout, a 5xx) on another
 * replica. A stream is retried only before its first content; a stream that ends without its
 * finish_reason after content is a cut stream.
 *
 * During a steady bounded load (a fixed number of concurrent callers, half streaming):
 *   1. rolling restart: one replica gets SIGTERM (it drains and exits 0) and is started again
 *      → 0 failed requests, 0 cut streams;
 *   2. one zone drops every packet (nftables, in and out: this kernel has no netem) → every request
 *      is answered within the client's timeout by the other replicas;
 *   3. Postgres and Redis go away together for 10 s (their relays reset every connection and refuse
 *      new ones; the servers keep running) → the replicas keep serving (governance fails open on
 *      local counters), and each replica's switchyard_governance_store_up gauge goes 0 and back to 1.
 * Each scenario prints requests, failures, cut streams, client retries and the worst latency.
 *
 * Needs root, iproute2 and nftables (CI has them), Postgres and redis-server (CI installs them);
 * skips with the reason otherwise, and fails for a missing tool when CI=true.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startPostgres } from '../helpers/postgres.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

const ATTEMPT_MS = 1500; // per attempt: connect + first byte, and the longest silence inside a stream
const CLIENT_TIMEOUT_MS = 8000; // the caller's own deadline over all attempts
const CALLERS = 6; // concurrent callers: the bounded load
const DRAIN = { accept_ms: 1000, timeout_ms: 10_000 };
const DRIP_MS = 40; // the mock sends each stream event (and a JSON body) this long after the last
/** The virtual key the drill's client sends (its secret reaches the replicas as env.ZONE_DRILL_KEY). */
const VIRTUAL_KEY = `sk-zone-drill-${process.pid}-${Math.random().toString(36).slice(2)}`;

const P = process.pid;
const SUBNET = `10.251.${P % 200}`;
const BR = `syzbr${P}`;
const NODES = {
  host: { ns: undefined, ip: `${SUBNET}.1` },
  up: { ns: `syzup${P}`, ip: `${SUBNET}.2` },
  a: { ns: `syza${P}`, ip: `${SUBNET}.11` },
  b: { ns: `syzb${P}`, ip: `${SUBNET}.12` },
  c: { ns: `syzc${P}`, ip: `${SUBNET}.13` },
} as const;
type NodeName = keyof typeof NODES;
const ZONES = ['a', 'b', 'c'] as const;
type Zone = (typeof ZONES)[number];
const GW_PORT = 8080; // inside each zone's own namespace and address: no clash with anything
const UP_PORT = 9000;
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function inNs(ns: string, args: string[]): string {
  return run('ip', ['netns', 'exec', ns, ...args]);
}
function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function whyCannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!has('ip')) return 'needs iproute2 (ip)';
  if (!has('nft')) return 'needs nftables (nft) to drop a zone’s packets (this kernel has no netem)';
  try {
    run('ip', ['netns', 'add', BR]);
  } catch (e) {
    return `cannot create a network namespace: ${(e as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

const reason = whyCannotRun();
if (reason && process.env.CI === 'true') throw new Error(`zone drill cannot run in CI: ${reason}`);

// ---- the network: a bridge namespace, one veth per node ----------------------------------------

function ifName(node: NodeName, end: 0 | 1): string {
  return `syz${node}${P}${end}`.slice(0, 15);
}

function buildNetwork(): void {
  inNs(BR, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  inNs(BR, ['ip', 'link', 'set', 'br0', 'up']);
  for (const [name, node] of Object.entries(NODES) as [NodeName, (typeof NODES)[NodeName]][]) {
    if (node.ns) run('ip', ['netns', 'add', node.ns]);
    const near = ifName(name, 0);
    const far = ifName(name, 1);
    run('ip', ['link', 'add', near, 'type', 'veth', 'peer', 'name', far]);
    run('ip', ['link', 'set', far, 'netns', BR]);
    inNs(BR, ['ip', 'link', 'set', far, 'master', 'br0']);
    inNs(BR, ['ip', 'link', 'set', far, 'up']);
    if (node.ns) {
      run('ip', ['link', 'set', near, 'netns', node.ns]);
      inNs(node.ns, ['ip', 'addr', 'add', `${node.ip}/24`, 'dev', near]);
      inNs(node.ns, ['ip', 'link', 'set', near, 'up']);
      inNs(node.ns, ['ip', 'link', 'set', 'lo', 'up']);
    } else {
      run('ip', ['addr', 'add', `${node.ip}/24`, 'dev', near]);
      run('ip', ['link', 'set', near, 'up']);
    }
  }
}

function tearDownNetwork(): void {
  try {
    run('ip', ['link', 'del', ifName('host', 0)]);
  } catch {
    /* not made, or gone with its peer */
  }
  for (const ns of [BR, ...Object.values(NODES).map((n) => n.ns)]) {
    if (!ns) continue;
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      /* not made */
    }
  }
}

/** Every packet into and out of the zone is dropped (established connections go dark too). */
function dropZone(zone: Zone): void {
  const ns = NODES[zone].ns;
  inNs(ns, ['nft', 'add', 'table', 'inet', 'zonedrill']);
  inNs(ns, ['nft', 'add', 'chain', 'inet', 'zonedrill', 'in', '{ type filter hook input priority 0; policy accept; }']);
  inNs(ns, ['nft', 'add', 'chain', 'inet', 'zonedrill', 'out', '{ type filter hook output priority 0; policy accept; }']);
  inNs(ns, ['nft', 'add', 'rule', 'inet', 'zonedrill', 'in', 'iifname', '!=', 'lo', 'drop']);
  inNs(ns, ['nft', 'add', 'rule', 'inet', 'zonedrill', 'out', 'oifname', '!=', 'lo', 'drop']);
}
function restoreZone(zone: Zone): void {
  inNs(NODES[zone].ns, ['nft', 'delete', 'table', 'inet', 'zonedrill']);
}

// ---- processes ----------------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  output: string[];
  /** Every governance counter-store transition the process logged (kept whole: output is trimmed). */
  storeLog: string[];
}

function startIn(ns: string, args: string[]): Proc {
  // `ip netns exec` execs the command: the child's pid is node's, so signals reach the gateway.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ZONE_DRILL_KEY: VIRTUAL_KEY },
  });
  const output: string[] = [];
  const storeLog: string[] = [];
  const keep = (b: Buffer) => {
    const lines = b.toString().split('\n').filter(Boolean);
    storeLog.push(...lines.filter((l) => l.includes('governance: the counter store')));
    output.push(...lines);
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output, storeLog };
}

async function stopProc(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await once(p.child, 'exit');
}

/** Resolves when `url` answers 200, polling every 100 ms for at most `ms`. */
async function waitReady(url: string, ms: number, why: () => string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} not ready within ${ms} ms: ${why()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP relay host:port → a server on loopback, which can refuse for a while (the server "down"). */
class TcpRelay {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;
  constructor(
    private readonly host: string,
    private readonly target: number,
  ) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, this.host);
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  /** Every open connection is reset and new ones are refused until up() again. */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.resetAndDestroy();
    if (s) await new Promise((r) => s.close(r));
  }
}

// ---- the client: readiness-aware round robin with retry -----------------------------------------

interface Outcome {
  ok: boolean;
  stream: boolean;
  ms: number;
  /** When the answer (or the failure) came, performance.now(). */
  at: number;
  attempts: number;
  replica?: Zone;
  cut: boolean;
  /** Stalled mid-stream (no byte for ATTEMPT_MS) and asked again of another replica. */
  restarted: number;
  /** When the attempt that answered was sent, performance.now(). */
  sentAt?: number;
  error?: string;
}

class ZoneClient {
  private readonly sdk = new Map<Zone, OpenAI>();
  readonly ready = new Set<Zone>(ZONES);
  private next = 0;
  private polling = true;
  private poller: Promise<void>;

  constructor() {
    for (const z of ZONES) this.sdk.set(z, new OpenAI({ baseURL: `http://${NODES[z].ip}:${GW_PORT}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0, timeout: ATTEMPT_MS }));
    this.poller = this.poll();
  }

  /** The endpoints controller: a replica is ready while its /readyz answers 200 within 500 ms. */
  private async poll(): Promise<void> {
    while (this.polling) {
      await Promise.all(
        ZONES.map(async (z) => {
          try {
            const res = await fetch(`http://${NODES[z].ip}:${GW_PORT}/readyz`, { signal: AbortSignal.timeout(500) });
            await res.arrayBuffer();
            if (res.status === 200) this.ready.add(z);
            else this.ready.delete(z);
          } catch {
            this.ready.delete(z);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close(): Promise<void> {
    this.polling = false;
    await this.poller;
  }

  private pick(avoid: Zone | undefined): Zone {
    const pool = ZONES.filter((z) => this.ready.has(z) && z !== avoid);
    const from = pool.length ? pool : ZONES.filter((z) => z !== avoid);
    return from[this.next++ % from.length]!;
  }

  async call(stream: boolean): Promise<Outcome> {
    const t0 = performance.now();
    const out: Outcome = { ok: false, stream, ms: 0, at: 0, attempts: 0, cut: false, restarted: 0 };
    let last: Zone | undefined;
    const body = { model: 'review-model', messages: [{ role: 'user' as const, content: 'Review this diff' }], max_tokens: 64 };
    while (performance.now() - t0 < CLIENT_TIMEOUT_MS) {
      const z = this.pick(last);
      const sentAt = performance.now();
      last = z;
      out.attempts++;
      const sdk = this.sdk.get(z)!;
      let content = '';
      try {
        if (!stream) {
          const res = await sdk.chat.completions.create(body);
          content = res.choices[0]?.message.content ?? '';
          assert.ok(content.length > 0, 'an answer with content');
          return { ...out, ok: true, replica: z, sentAt, ms: performance.now() - t0 };
        }
        const abort = new AbortController();
        let timer = setTimeout(() => abort.abort(), ATTEMPT_MS);
        try {
          const s = await sdk.chat.completions.create({ ...body, stream: true }, { signal: abort.signal });
          let finish: string | null | undefined;
          for await (const chunk of s) {
            clearTimeout(timer);
            timer = setTimeout(() => abort.abort(), ATTEMPT_MS);
            content += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
          }
          if (!finish) throw Object.assign(new Error('stream ended without finish_reason'), { cutAfterContent: content.length > 0 });
          return { ...out, ok: true, replica: z, sentAt, ms: performance.now() - t0 };
        } finally {
          clearTimeout(timer);
        }
      } catch (e) {
        const err = e as Error & { status?: number };
        out.error = `${z}: ${err.message}`;
        if (stream && content.length > 0) {
          // Content had arrived: the stream broke (a cut) or went silent (zone gone dark).
          if (e instanceof OpenAI.APIUserAbortError) {
            out.restarted++;
            continue;
          }
          out.cut = true;
          return { ...out, ms: performance.now() - t0 };
        }
        const retryable = err.status === undefined || err.status >= 500 || e instanceof OpenAI.APIConnectionError;
        if (!retryable) return { ...out, ms: performance.now() - t0 };
      }
    }
    return { ...out, ms: performance.now() - t0, error: `client timeout (${CLIENT_TIMEOUT_MS} ms): ${out.error}` };
  }
}

/** CALLERS concurrent callers, each calling again as soon as it has its answer, until stopped. */
function steadyLoad(client: ZoneClient) {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const callers = Array.from({ length: CALLERS }, async () => {
    while (running) outcomes.push({ ...(await client.call(n++ % 2 === 0)), at: performance.now() });
  });
  return {
    outcomes,
    async stop(): Promise<Outcome[]> {
      running = false;
      await Promise.all(callers);
      return outcomes;
    },
  };
}

function summary(name: string, o: Outcome[]): string {
  const failed = o.filter((x) => !x.ok);
  const worst = Math.max(...o.map((x) => x.ms));
  const per = ZONES.map((z) => `${z} ${o.filter((x) => x.replica === z).length}`).join(', ');
  return (
    `${name}: ${o.length} requests (${o.filter((x) => x.stream).length} streams), ${failed.length} failed, ` +
    `${o.filter((x) => x.cut).length} cut streams, ${o.reduce((s, x) => s + x.attempts - 1, 0)} client retries to another replica, ` +
    `${o.reduce((s, x) => s + x.restarted, 0)} streams asked again after stalling, worst latency ${Math.round(worst)} ms; answered by ${per}` +
    (failed.length ? `; first failure: ${failed[0]!.error}` : '')
  );
}

/** Sum of switchyard_requests_total on one replica (its own count of what it answered). */
async function requestsTotal(zone: Zone): Promise<number> {
  const text = await (await fetch(`http://${NODES[zone].ip}:${GW_PORT}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  return [...text.matchAll(/^switchyard_requests_total(?:\{[^}]*\})? (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
}
async function requestsPerReplica(): Promise<Record<Zone, number>> {
  const n = await Promise.all(ZONES.map(requestsTotal));
  return { a: n[0]!, b: n[1]!, c: n[2]! };
}

/** Load runs meanwhile: the test waits this long between steps of a scenario. */
const during = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the drill ----------------------------------------------------------------------------------

const gateways = new Map<Zone, Proc>();
let upstream: Proc | undefined;
let pg: TestPostgres | undefined;
let pgSkip: string | undefined;
let relay: TcpRelay | undefined;
let redis: TestRedis | undefined;
let redisSkip: string | undefined;
let redisRelay: TcpRelay | undefined;
let redisUrl: string | undefined;
let client: ZoneClient | undefined;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-zones-'));

function configFor(zone: Zone, postgresUrl: string | undefined): string {
  const provider = (type: string, url: string) => ({
    type,
    base_url: url,
    keys: [{ value: 'mock-key' }],
    timeouts: { connect_ms: 1000, first_byte_ms: 2000, idle_ms: 2000 },
  });
  const config = {
    server: { host: NODES[zone].ip, port: GW_PORT, drain: DRAIN },
    providers: {
      anthropic: provider('anthropic', `http://${NODES.up.ip}:${UP_PORT}`),
      openai: provider('openai', `http://${NODES.up.ip}:${UP_PORT}/v1`),
    },
    models: { 'review-model': { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'] } },
    logging: { level: 'info', flush_interval_ms: 200 },
    storage: postgresUrl ? { postgres_url: postgresUrl } : { sqlite_path: ':memory:' },
    ...(redisUrl && {
      governance: { enabled: true, counters: { type: 'redis', url: redisUrl }, on_counter_store_error: 'fail_open' },
      virtual_keys: {
        'zone-drill': {
          key: 'env.ZONE_DRILL_KEY',
          models: ['review-model'],
          // Far from reached: the drill checks that limits keep being applied, not that they bite.
          rate_limits: [{ requests: 100_000, per: '1m' }, { tokens: 100_000_000, per: '1m' }],
          budgets: [{ max_usd: 10_000, period: '1d' }],
          max_concurrent: 1000,
        },
      },
    }),
  };
  const path = join(dir, `zone-${zone}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

async function startZone(zone: Zone, postgresUrl: string | undefined): Promise<void> {
  const p = startIn(NODES[zone].ns, ['start', '--config', configFor(zone, postgresUrl)]);
  gateways.set(zone, p);
  await waitReady(`http://${NODES[zone].ip}:${GW_PORT}/readyz`, 30_000, () => p.output.slice(-5).join(' | '));
}

let postgresUrl: string | undefined;

before(async () => {
  if (reason) return;
  buildNetwork();
  const started = await startPostgres();
  if (started.ok) {
    pg = started.pg;
    const url = new URL(await pg.createDatabase('zones'));
    relay = new TcpRelay(NODES.host.ip, Number(url.port));
    await relay.up();
    postgresUrl = `postgres://switchyard@${NODES.host.ip}:${relay.port}/zones`;
  } else if (process.env.CI === 'true') {
    throw new Error(`zone drill needs Postgres in CI: ${started.reason}`);
  } else {
    pgSkip = started.reason;
  }
  const startedRedis = await startRedis();
  if (startedRedis.ok) {
    redis = startedRedis.redis;
    redisRelay = new TcpRelay(NODES.host.ip, redis.port);
    await redisRelay.up();
    redisUrl = `redis://${NODES.host.ip}:${redisRelay.port}`;
  } else if (process.env.CI === 'true') {
    throw new Error(`zone drill needs Redis in CI: ${startedRedis.reason}`);
  } else {
    redisSkip = startedRedis.reason;
  }
  upstream = startIn(NODES.up.ns, ['mock-upstream', '--host', NODES.up.ip, '--port', String(UP_PORT), '--fault', `slow-drip:${DRIP_MS}`]);
  await Promise.all(ZONES.map((z) => startZone(z, postgresUrl)));
  client = new ZoneClient();
});

after(async () => {
  await client?.close();
  for (const p of gateways.values()) await stopProc(p);
  await stopProc(upstream);
  await relay?.down();
  await pg?.close();
  await redisRelay?.down();
  await redis?.close();
  if (!reason) tearDownNetwork();
  rmSync(dir, { recursive: true, force: true });
});

const skip = reason ? `skipped: ${reason}` : false;

test('rolling restart: one replica drains on SIGTERM and comes back; no request fails, no stream is cut', { skip }, async (t) => {
  const load = steadyLoad(client!);
  await during(1000);
  const a = gateways.get('a')!;
  const t0 = performance.now();
  a.child.kill('SIGTERM');
  // Bounded: a replica that does not exit within its drain timeout (plus flush) is killed and fails.
  const bound = setTimeout(() => a.child.kill('SIGKILL'), DRAIN.accept_ms + DRAIN.timeout_ms + 5000);
  const [code] = (await once(a.child, 'exit')) as [number | null];
  clearTimeout(bound);
  const drainMs = performance.now() - t0;
  const drainLog = a.output.filter((l) => /drain/i.test(l)).map((l) => l.slice(0, 300));
  t.diagnostic(`replica a exited ${code} ${Math.round(drainMs)} ms after SIGTERM; its drain log: ${drainLog.join(' | ') || '(none)'}`);
  assert.equal(code, 0, `replica a exits 0 after its drain; last output: ${a.output.slice(-5).join(' | ')}`);
  assert.ok(drainMs < DRAIN.accept_ms + DRAIN.timeout_ms, 'the drain ends within server.drain.timeout_ms');
  const r0 = performance.now();
  await startZone('a', postgresUrl);
  t.diagnostic(`replica a started again and ready after ${Math.round(performance.now() - r0)} ms`);
  await during(1000);
  const o = await load.stop();
  t.diagnostic(summary('rolling restart', o));
  assert.ok(o.length >= 20, 'the load ran');
  assert.equal(o.filter((x) => !x.ok).length, 0, 'no request failed');
  assert.equal(o.filter((x) => x.cut).length, 0, 'no stream was cut');
  assert.equal(o.reduce((s, x) => s + x.restarted, 0), 0, 'no stream stalled');
});

test('a zone drops every packet: the client’s retries to the other replicas answer every request in time', { skip }, async (t) => {
  const load = steadyLoad(client!);
  await during(1000);
  const m0 = await requestsPerReplica();
  dropZone('b');
  const dropped = performance.now();
  let restored = 0;
  try {
    await during(4000);
  } finally {
    restoreZone('b');
    restored = performance.now();
  }
  await waitReady(`http://${NODES.b.ip}:${GW_PORT}/readyz`, 10_000, () => 'zone b after restore');
  const m1 = await requestsPerReplica();
  await during(500);
  const o = await load.stop();
  t.diagnostic(summary('zone b dark for 4 s', o));
  const dark = o.filter((x) => x.at > dropped && x.at < restored);
  const perDark = ZONES.map((z) => `${z} ${dark.filter((x) => x.replica === z).length}`).join(', ');
  t.diagnostic(`while zone b was dark (${Math.round(restored - dropped)} ms): ${dark.length} answers, by ${perDark}; ${dark.filter((x) => x.attempts > 1).length} needed a retry on another replica`);
  t.diagnostic(`switchyard_requests_total per replica over the scenario (each replica's /metrics): ${ZONES.map((z) => `${z} +${m1[z] - m0[z]}`).join(', ')}`);
  // An answer already received when the rules went in can be counted after `dropped` (the nft calls
  // block the event loop), so what counts is when the answering attempt was sent.
  assert.equal(o.filter((x) => x.replica === 'b' && x.sentAt! > dropped && x.at < restored).length, 0, 'nothing sent to the dark zone is answered by it');
  assert.ok(m1.b - m0.b < Math.min(m1.a - m0.a, m1.c - m0.c), 'the dark replica’s own count shows it served less');
  assert.equal(o.filter((x) => !x.ok).length, 0, 'every request answered');
  assert.equal(o.filter((x) => x.cut).length, 0, 'no stream ended without its finish_reason');
  assert.ok(Math.max(...o.map((x) => x.ms)) < CLIENT_TIMEOUT_MS, 'every answer within the client’s timeout');
  assert.ok(o.some((x) => x.attempts > 1 || x.restarted > 0), 'the client retried on another replica');
});

/** switchyard_governance_store_up on one replica (1 up, 0 down), or undefined when /metrics did not answer. */
async function storeUp(zone: Zone): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://${NODES[zone].ip}:${GW_PORT}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
    const v = /^switchyard_governance_store_up(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1];
    return v === undefined ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

/** Scrapes every replica's governance gauge every 250 ms and keeps when each went 0 and came back to 1. */
function watchStoreGauge(t0: number) {
  const seen = new Map<Zone, { downAt?: number; upAt?: number }>(ZONES.map((z) => [z, {}]));
  let watching = true;
  const loop = (async () => {
    while (watching) {
      await Promise.all(
        ZONES.map(async (z) => {
          const v = await storeUp(z);
          const s = seen.get(z)!;
          if (v === 0 && s.downAt === undefined) s.downAt = performance.now() - t0;
          if (v === 1 && s.downAt !== undefined && s.upAt === undefined) s.upAt = performance.now() - t0;
        }),
      );
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    seen,
    async stop() {
      watching = false;
      await loop;
      return seen;
    },
  };
}

test('Postgres and Redis away together for 10 s: the replicas keep serving', { skip: skip || (pgSkip ? `skipped: ${pgSkip}` : false) }, async (t) => {
  if (redisSkip) t.diagnostic(`Redis not in this run (governance off): ${redisSkip}`);
  else t.diagnostic('governance on: counters in the shared Redis, on_counter_store_error fail_open, one virtual key; Postgres holds the request log');
  const load = steadyLoad(client!);
  await during(1000);
  const logBefore = new Map(ZONES.map((z) => [z, gateways.get(z)!.storeLog.length]));
  const t0 = performance.now();
  const gauge = redisRelay ? watchStoreGauge(t0) : undefined;
  await Promise.all([relay!.down(), redisRelay?.down()]);
  const downAt = load.outcomes.length;
  let upAt = 0;
  try {
    await during(10_000);
  } finally {
    await Promise.all([relay!.up(), redisRelay?.up()]);
    upAt = performance.now() - t0;
  }
  const whileDown = load.outcomes.length - downAt;
  // Bounded: the replicas reconnect to Redis within their retry backoff (at most 1 s between tries).
  const until = Date.now() + 10_000;
  while (gauge && ZONES.some((z) => gauge.seen.get(z)!.upAt === undefined) && Date.now() < until) await during(250);
  await during(1500);
  const o = await load.stop();
  const seen = await gauge?.stop();
  t.diagnostic(summary(redisRelay ? 'Postgres and Redis down 10 s' : 'Postgres down 10 s', o));
  t.diagnostic(`answered while they were down: ${whileDown}; both back ${Math.round(upAt)} ms after they went`);
  const metrics = await (await fetch(`http://${NODES.c.ip}:${GW_PORT}/metrics`)).text();
  const logErrors = /^switchyard_request_log_write_errors_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1];
  t.diagnostic(`replica c: switchyard_request_log_write_errors_total ${logErrors ?? 'absent'}`);
  if (seen) {
    const fmt = (v: number | undefined) => (v === undefined ? 'never' : `${Math.round(v)} ms`);
    t.diagnostic(`switchyard_governance_store_up per replica (scraped every 250 ms): ${ZONES.map((z) => `${z} 0 at ${fmt(seen.get(z)!.downAt)}, 1 again at ${fmt(seen.get(z)!.upAt)}`).join('; ')}`);
    const logs = ZONES.map((z) => gateways.get(z)!.storeLog.slice(logBefore.get(z)));
    t.diagnostic(`replica a logged: ${logs[0]!.map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 200)).join(' | ') || '(nothing)'}`);
    for (const z of ZONES) {
      assert.ok(seen.get(z)!.downAt !== undefined, `replica ${z}'s governance gauge showed the store down`);
      assert.ok(seen.get(z)!.upAt !== undefined, `replica ${z}'s governance gauge showed the store back`);
    }
  }
  assert.ok(whileDown >= 20, 'requests were answered while Postgres and Redis were down');
  assert.equal(o.filter((x) => !x.ok).length, 0, 'no request failed');
  assert.equal(o.filter((x) => x.cut).length, 0, 'no stream was cut');
  for (const z of ZONES) assert.equal(gateways.get(z)!.child.exitCode, null, `replica ${z} is still running`);
});
