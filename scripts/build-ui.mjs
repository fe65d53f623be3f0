#!/usr/bin/env node
// Builds the web console (ui/, its own package with its own lockfile) into ui/dist, which the
// gateway serves at /ui/. Run by the root `prepare` script, so `npm install` at the root builds it.
// Installs ui/'s dependencies first when they are missing or older than its lockfile.
// SWITCHYARD_SKIP_UI_BUILD=1 skips it (the gateway then answers /ui/ with how to build it).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', 'ui');
if (process.env.SWITCHYARD_SKIP_UI_BUILD === '1') {
  console.log('build-ui: skipped (SWITCHYARD_SKIP_UI_BUILD=1)');
  process.exit(0);
}
if (!existsSync(join(ui, 'package.json'))) process.exit(0);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (args) => {
  const r = spawnSync(npm, args, { cwd: ui, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-ui: \`npm ${args.join(' ')}\` in ui/ failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
};
const marker = join(ui, 'node_modules', '.package-lock.json');
const lock = join(ui, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) run(['ci', '--no-audit', '--no-fund']);
run(['run', 'build']);
