/**
 * Graceful drain as an orchestrator drives it: the real CLI in a child process, real SDK streams
 * slowed by the mock upstream, then SIGTERM.
 *   - streams that finish within server.drain.timeout_ms are not cut, /readyz turns 503 at once,
 *     the process exits 0 and logs how many requests it waited for;
 *   - streams still running at the timeout end with a GW_ERR_SHUTTING_DOWN error event in their
 *     own dialect (the SDKs raise it), are counted, and the process still exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { pollUntil } from '../helpers/prometheus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'src/cli.ts');

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream({});
});
after(async () => {
  await mock?.close();
});

interface Gw {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout so far (the banner, then JSON log lines). */
  out(): string;
  exited: Promise<number | null>;
}

async function startGatewayProcess(drain: { accept_ms: number; timeout_ms: number }): Promise<Gw> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-drain-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, drain },
      providers: {
        openai: { type: 'openai', base_url: `${mock.url}/v1`, keys: [{ value: 'sk-drain-openai' }], models: ['gpt-4o-mini'], timeouts: { idle_ms: 60000 } },
        anthropic: { type: 'anthropic', base_url: mock.url, keys: [{ value: 'sk-drain-anthropic' }], models: ['claude-sonnet-4-6'], timeouts: { idle_ms: 60000 } },
      },
      routing: { deadline_ms: 60000 },
      storage: { sqlite_path: ':memory:' },
      logging: { level: 'info' },
    }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start', '--config', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const url = await pollUntil('the gateway to listen', async () => /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (exitCode !== undefined ? 'exited' : undefined), 30_000);
  assert.notEqual(url, 'exited', out);
  return { child, url, out: () => out, exited };
}

/** A prompt of `n` words: the mock streams one event per word. */
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/** Starts an OpenAI stream and resolves once its first content arrived; `done` settles at its end. */
async function openaiStream(url: string, n: number): Promise<{ done: Promise<{ text: string; finish?: string | null }> }> {
  const client = new OpenAI({ apiKey: 'unused', baseURL: `${url}/v1`, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: words(n) }] });
  const it = stream[Symbol.asyncIterator]();
  let text = '';
  let finish: string | null | undefined;
  for (;;) {
    const r = await it.next();
    assert.ok(!r.done);
    text += r.value.choices[0]?.delta?.content ?? '';
    if (text) break;
  }
  const done = (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) return { text, finish };
      text += r.value.choices[0]?.delta?.content ?? '';
      finish = r.value.choices[0]?.finish_reason ?? finish;
    }
  })();
  done.catch(() => undefined);
  return { done };
}

async function anthropicStream(url: string, n: number): Promise<{ done: Promise<{ text: string; stop?: string | null }> }> {
  const client = new Anthropic({ apiKey: 'unused', baseURL: `${url}/anthropic`, maxRetries: 0 });
  const stream = await client.messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: words(n) }] });
  const it = stream[Symbol.asyncIterator]();
  let text = '';
  let stop: string | null | undefined;
  for (;;) {
    const r = await it.next();
    assert.ok(!r.done);
    if (r.value.type === 'content_block_delta' && r.value.delta.type === 'text_delta') text += r.value.delta.text;
    if (text) break;
  }
  const done = (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) return { text, stop };
      if (r.value.type === 'content_block_delta' && r.value.delta.type === 'text_delta') text += r.value.delta.text;
      if (r.value.type === 'message_delta') stop = r.value.delta.stop_reason;
    }
  })();
  done.catch(() => undefined);
  return { done };
}

describe('graceful drain on SIGTERM', () => {
  it('streams in flight finish; /readyz 503 at once; exit 0; the log says what it waited for', async () => {
    // ~2 s per stream (20 words, 100 ms apart); the drain allows 20 s.
    mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 100 } }]);
    const gw = await startGatewayProcess({ accept_ms: 300, timeout_ms: 20_000 });
    try {
      const streams = await Promise.all([
        ...Array.from({ length: 3 }, () => openaiStream(gw.url, 20)),
        ...Array.from({ length: 3 }, () => anthropicStream(gw.url, 20)),
      ]);
      gw.child.kill('SIGTERM');
      const ready = await pollUntil('/readyz to answer 503', async () => {
        const r = await fetch(`${gw.url}/readyz`).catch(() => undefined);
        return r?.status === 503 ? r : undefined;
      }, 5000);
      assert.deepEqual(await ready.json(), { status: 'draining' });
      const results = await Promise.all(streams.map((s) => s.done));
      for (const r of results.slice(0, 3)) assert.equal((r as { finish?: string }).finish, 'stop');
      for (const r of results.slice(3)) assert.equal((r as { stop?: string }).stop, 'end_turn');
      for (const r of results) assert.match(r.text, /w19$/);
      assert.equal(await gw.exited, 0);
      const out = gw.out();
      assert.match(out, /waited for \d+ requests \(6 in flight at the signal/);
      assert.match(out, /0 streams and 0 requests cut at the timeout/);
      const report = /"durationMs":(\d+)/.exec(out);
      console.log(`drain: 6 streams waited for, drained in ${report?.[1]} ms, 0 cut`);
    } finally {
      gw.child.kill('SIGKILL');
      mock.setFaults([]);
    }
  });

  it('streams still running at timeout_ms end with a GW_ERR_SHUTTING_DOWN error event in their dialect; exit 0', async () => {
    // 200 words, 100 ms apart: ~20 s per stream, far beyond the 1.5 s drain.
    mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 100 } }]);
    const gw = await startGatewayProcess({ accept_ms: 200, timeout_ms: 1500 });
    try {
      const o = await openaiStream(gw.url, 200);
      const a = await anthropicStream(gw.url, 200);
      gw.child.kill('SIGTERM');
      await assert.rejects(o.done, (e: unknown) => e instanceof OpenAI.APIError && /shutting down/.test(e.message));
      await assert.rejects(a.done, (e: unknown) => e instanceof Anthropic.APIError && /shutting down/.test(e.message));
      assert.equal(await gw.exited, 0);
      const out = gw.out();
      assert.match(out, /2 streams and 0 requests cut at the timeout/);
      assert.doesNotMatch(out, /GW_ERR_CLIENT_CLOSED/);
    } finally {
      gw.child.kill('SIGKILL');
      mock.setFaults([]);
    }
  });

  it('a second signal cuts at once', async () => {
    mock.setFaults([{ fault: { kind: 'slow-drip', intervalMs: 100 } }]);
    const gw = await startGatewayProcess({ accept_ms: 200, timeout_ms: 60_000 });
    try {
      const o = await openaiStream(gw.url, 200);
      gw.child.kill('SIGTERM');
      await pollUntil('/readyz to answer 503', async () => ((await fetch(`${gw.url}/readyz`).catch(() => undefined))?.status === 503 ? true : undefined), 5000);
      gw.child.kill('SIGTERM');
      await assert.rejects(o.done, (e: unknown) => e instanceof OpenAI.APIError && /shutting down/.test(e.message));
      assert.equal(await gw.exited, 0);
    } finally {
      gw.child.kill('SIGKILL');
      mock.setFaults([]);
    }
  });
});
