/**
 * Prometheus for tests: a parser for the text exposition format, and a real Prometheus server
 * (Debian's `prometheus` package) started with a temp config and storage, scraping given targets
 * every second, queried through its HTTP API. Returns a skip reason when the binary is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (enough for prom-client output). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      for (let l = re.exec(m[3]); l; l = re.exec(m[3])) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

export function findBinary(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * Re-checks `fn` until it returns a value (bounded): for conditions in another process, such as
 * Prometheus having scraped or evaluated something. Errors thrown by `fn` end the wait.
 */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PrometheusServer {
  url: string;
  /** Instant query; returns the result vector (empty when no sample yet). */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Polls `promql` until `accept` is true for its result (bounded by timeoutMs). */
  waitFor(promql: string, accept: (result: Array<{ metric: Record<string, string>; value: [number, string] }>) => boolean, timeoutMs?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  close(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port targets scraped at /metrics. */
  targets: string[];
  /** Rule files (absolute paths) to load. */
  ruleFiles?: string[];
}

export async function startPrometheus(options: StartPrometheusOptions): Promise<{ ok: true; prom: PrometheusServer } | { ok: false; reason: string }> {
  const bin = findBinary('prometheus');
  if (!bin) return { ok: false, reason: 'the prometheus binary is not installed (apt-get install -y prometheus)' };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-prom-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    '  - job_name: switchyard',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  let exited = false;
  proc.on('exit', () => (exited = true));

  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const poll = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> =>
    pollUntil(what, async () => {
      if (exited) throw new Error(`prometheus exited: ${stderr}`);
      return fn().catch(() => undefined);
    }, timeoutMs);

  try {
    await poll('prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
  } catch (e) {
    await stop();
    return { ok: false, reason: `prometheus did not start: ${(e as Error).message}` };
  }

  const query: PrometheusServer['query'] = async (promql) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
    const result = body.data!.result;
    if (body.data!.resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
    return result as Array<{ metric: Record<string, string>; value: [number, string] }>;
  };

  return {
    ok: true,
    prom: {
      url,
      query,
      waitFor: (promql, accept, timeoutMs = 30_000) =>
        poll(`${promql} to match`, async () => {
          const r = await query(promql);
          return accept(r) ? r : undefined;
        }, timeoutMs),
      close: stop,
    },
  };
}
