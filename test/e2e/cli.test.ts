/** The `switchyard` CLI as a user runs it: check-config, --version, --help, start. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'src/cli.ts');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

test('check-config accepts the example config', () => {
  const r = run(['check-config', 'examples/switchyard.yaml']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /examples\/switchyard\.yaml: OK/);
});

test('check-config takes the file as start does too (--config FILE), and says what it expects', () => {
  for (const args of [['--config', 'examples/switchyard.yaml'], ['--config=examples/switchyard.yaml']]) {
    const r = run(['check-config', ...args]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /examples\/switchyard\.yaml: OK/);
  }
  const bad = run(['check-config', '--port', '8080']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /usage: switchyard check-config FILE \(or --config FILE\); unexpected "--port"/);
});

test('check-config names the path and the fix, exits non-zero, and never prints a secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'server: { prot: 80 }\nproviders:\n  anthropic:\n    keys: [{ value: env.SY_TEST_MISSING_KEY }]\n  openai:\n    keys: [{ value: env.SY_TEST_SECRET }]\n');
  const r = run(['check-config', file], { SY_TEST_SECRET: 'sk-very-secret-value' });
  assert.equal(r.status, 78);
  assert.match(r.stderr, /providers\.anthropic\.keys\[0\]\.value: environment variable SY_TEST_MISSING_KEY is not set/);
  assert.match(r.stderr, /server: unknown key "prot"; did you mean "port"\?/);
  assert.ok(!r.stderr.includes('sk-very-secret-value') && !r.stdout.includes('sk-very-secret-value'));
});

test('--version and --help', () => {
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const h = run(['--help']);
  assert.match(h.stdout, /switchyard start --config FILE/);
  assert.match(h.stdout, /check-config/);
  assert.equal(run(['frobnicate']).status, 2);
});

test('start prints where it listens and the routes, and serves /readyz', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start', '--config', 'examples/switchyard.yaml', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    while (!/Add a provider key/.test(out)) {
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      out += chunk.toString();
    }
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    assert.match(out, /POST .*\/v1\/chat\/completions/);
    assert.match(out, /POST .*\/anthropic\/v1\/messages/);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
