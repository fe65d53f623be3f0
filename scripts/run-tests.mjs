#!/usr/bin/env node
// Finds the test files (Node 20's `--test` does not expand globs) and runs them with node's own
// test runner, TypeScript loaded through tsx. Usage: node scripts/run-tests.mjs [dir|file ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const SKIP = new Set(['node_modules', 'dist', '.git', 'data', 'ui']);

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (/\.test\.ts$/.test(path)) out.push(path);
    return;
  }
  for (const name of readdirSync(path).sort()) {
    if (SKIP.has(name)) continue;
    collect(join(path, name), out);
  }
}

const files = [];
for (const root of roots.length ? roots : ['src', 'test']) collect(root, files);
if (files.length === 0) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough, ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
