/**
 * Reloading the config file in a running `switchyard start` process: SIGHUP applies a changed
 * file; a broken file is reported (path and fix) and the running snapshot keeps serving; with
 * --watch, saving the file is enough.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'src/cli.ts');
let mock: MockUpstream;
let tmp: string;

function configText(model: string, extra = ''): string {
  return `server: { host: 127.0.0.1, port: 0 }
storage: { sqlite_path: ${JSON.stringify(join(tmp, 'db', 'sy.db'))} }
providers:
  openai: { type: openai, base_url: ${JSON.stringify(`${mock.url}/v1`)}, keys: [{ value: sk-reload-test-key }] }
models:
  live: { targets: [openai/${model}] }
${extra}`;
}

interface Proc {
  child: ChildProcess;
  url: string;
  out: string[];
}

async function startCli(file: string, args: string[] = []): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start', '--config', file, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWITCHYARD_SECRET_KEY: '' } });
  const out: string[] = [];
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s: ${out.join('\n')}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        out.push(line);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    child.stderr!.on('data', (c: Buffer) => out.push(c.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out.join('\n')}`)));
  });
  return { child, url, out };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
}

async function servedModel(url: string): Promise<string | null> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'live', messages: [{ role: 'user', content: 'hi' }] }) });
  await res.text();
  return res.status === 200 ? res.headers.get('x-switchyard-model') : `status ${res.status}`;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  mock = await startMockUpstream();
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
});

after(async () => {
  await mock?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('config file reload', { skip: process.platform === 'win32' ? 'no SIGHUP on Windows' : false }, () => {
  it('SIGHUP applies a changed file; a broken file is reported and the old snapshot keeps serving', async () => {
    const file = join(tmp, 'hup.yaml');
    writeFileSync(file, configText('model-one'));
    const p = await startCli(file);
    try {
      assert.equal(await servedModel(p.url), 'model-one');
      writeFileSync(file, configText('model-two'));
      p.child.kill('SIGHUP');
      await waitFor('model-two after SIGHUP', async () => (await servedModel(p.url)) === 'model-two');

      writeFileSync(file, configText('model-three', 'routing: { deadline_ms: "soon" }\n'));
      const before = p.out.length;
      p.child.kill('SIGHUP');
      await waitFor('the reload failure in the log', () => p.out.slice(before).some((l) => l.includes('config file reload failed')));
      const line = p.out.slice(before).find((l) => l.includes('config file reload failed'))!;
      assert.match(line, /routing\.deadline_ms/);
      assert.equal(await servedModel(p.url), 'model-two', 'the running snapshot stays');

      // A file whose alias names a provider that is not configured fails the semantic check the same way.
      writeFileSync(file, configText('model-two').replace('openai/model-two', 'nope/model-two'));
      const before2 = p.out.length;
      p.child.kill('SIGHUP');
      await waitFor('the second failure in the log', () => p.out.slice(before2).some((l) => l.includes('config file reload failed')));
      assert.match(p.out.slice(before2).find((l) => l.includes('config file reload failed'))!, /models\.live\.targets\[0\]/);
      assert.equal(await servedModel(p.url), 'model-two');
    } finally {
      await stop(p);
    }
  });

  it('start --watch reloads when the file is saved', async () => {
    const file = join(tmp, 'watch.yaml');
    writeFileSync(file, configText('watch-one'));
    const p = await startCli(file, ['--watch']);
    try {
      assert.equal(await servedModel(p.url), 'watch-one');
      writeFileSync(file, configText('watch-two'));
      await waitFor('watch-two after saving', async () => (await servedModel(p.url)) === 'watch-two');
    } finally {
      await stop(p);
    }
  });
});
