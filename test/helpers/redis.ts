/**
 * Starts a throwaway Redis server for tests: `redis-server` on a free 127.0.0.1 port, no
 * persistence, its files in a temp directory. Returns a skip reason instead when redis-server is
 * not installed (CI installs it: `apt-get install -y redis-server`; in CI a missing one fails).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.js';

export interface TestRedis {
  url: string;
  port: number;
  /** The redis-server process id while it runs (for CPU accounting). */
  readonly pid: number | undefined;
  /** Kills the server (SIGKILL: no goodbye to clients), keeping its port. */
  kill(): Promise<void>;
  /** Starts it again after kill(), on the same port, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export type StartRedisResult = { ok: true; redis: TestRedis } | { ok: false; reason: string };

/** Skips outside CI, fails in CI, when Redis cannot run here. */
export async function startRedisOrSkip(): Promise<{ redis?: TestRedis; skip?: string }> {
  const r = await startRedis();
  if (r.ok) return { redis: r.redis };
  if (process.env.CI === 'true') throw new Error(`Redis is required in CI: ${r.reason}`);
  return { skip: `Redis unavailable here: ${r.reason}` };
}

/** Resolves once something answers PING on the port, or rejects after `ms`. */
async function waitForPing(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(500, () => done(false));
      s.once('error', () => done(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedis(): Promise<StartRedisResult> {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = which.status === 0 ? which.stdout.trim() : '';
  if (!bin) return { ok: false, reason: 'redis-server is not installed (apt-get install -y redis-server)' };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'], { stdio: 'ignore' });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`))));
    exited.catch(() => {});
    await Promise.race([waitForPing(port, 10_000), exited]);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
  };
  try {
    await launch();
  } catch (e) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: (e as Error).message };
  }
  return {
    ok: true,
    redis: {
      url: `redis://127.0.0.1:${port}`,
      port,
      get pid() {
        return child?.pid;
      },
      kill,
      start: launch,
      async close() {
        await kill();
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
