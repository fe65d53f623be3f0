#!/usr/bin/env node
// Builds the web console (ui/, its own package with its own lockfile) into ui/dist, which the
// gateway serves at /ui/. Run by the root `prepare` script, so `npm install` at the root builds it.
// Installs ui/'s dependencies first when they are missing or older than its lockfile.
// SWITCHYARD_SKIP_UI_BUILD=1 skips it (the gateway then answers /ui/ with how to build it).
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
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

// One build of ui/ at a time. Two can start together: `npx switchyard ...` in a second terminal
// may run this package's prepare while `npm install` in the first runs it too, and Vite then
// fails the second build ("Found another Vite build process"), failing that install. A build
// that finds another one running waits for it (bounded), then builds in turn.
const buildLock = join(ui, '.build.lock');
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};
function takeLock() {
  const deadline = Date.now() + 10 * 60_000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(buildLock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.once('exit', () => {
        try {
          unlinkSync(buildLock);
        } catch {}
      });
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(buildLock, 'utf8').trim());
    if (!holder || !alive(holder)) {
      // Left by a build that died: take it over.
      try {
        unlinkSync(buildLock);
      } catch {}
      continue;
    }
    if (Date.now() > deadline) {
      console.error(`build-ui: another build of ui/ (pid ${holder}) has held ${buildLock} for 10 minutes; stop it or delete the file`);
      process.exit(1);
    }
    if (!told) console.log(`build-ui: waiting for another build of ui/ (pid ${holder}) to finish`);
    told = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}

takeLock();
const marker = join(ui, 'node_modules', '.package-lock.json');
const lock = join(ui, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) run(['ci', '--no-audit', '--no-fund']);
run(['run', 'build']);
