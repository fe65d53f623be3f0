/**
 * Starts a throwaway Postgres server for tests: initdb into a temp directory, pg_ctl start on a
 * free 127.0.0.1 port with its socket in that directory, trust auth, fsync off. Postgres refuses to
 * run as root, so as root the server runs as the `postgres` OS user (runuser). Returns a skip
 * reason instead when no Postgres is installed or it cannot start here (CI installs it:
 * `apt-get install -y postgresql`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** Connection URL of a fresh database. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data and port. */
  stop(): void;
  /** Starts it again after stop(), on the same port. */
  start(): void;
  close(): Promise<void>;
}

export type StartPostgresResult = { ok: true; pg: TestPostgres } | { ok: false; reason: string };

function findBin(name: string): string | undefined {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort().reverse()) {
    const p = join(root, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<StartPostgresResult> {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  if (!initdb || !pgCtl) return { ok: false, reason: 'Postgres is not installed (no initdb/pg_ctl; apt-get install -y postgresql)' };
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      return { ok: false, reason: 'running as root and there is no postgres OS user to run the server as' };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-pg-'));
  const data = join(dir, 'data');
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const : [cmd, args] as const;
    return spawnSync(full[0], full[1], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  };
  const init = run(initdb, ['-D', data, '-U', 'switchyard', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `initdb failed: ${(init.stderr || init.stdout || String(init.error)).trim().split('\n').slice(-3).join(' ')}` };
  }
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = run(pgCtl, ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  if (start.status !== 0) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-3).join(' ');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `pg_ctl start failed: ${(start.stderr || start.stdout).trim()} ${log}` };
  }
  const base = `postgres://switchyard@127.0.0.1:${port}`;
  let stopped = false;
  return {
    ok: true,
    pg: {
      async createDatabase(name: string) {
        const client = new pg.Client({ connectionString: `${base}/postgres` });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
        } finally {
          await client.end();
        }
        return `${base}/${name}`;
      },
      stop() {
        const r = run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
        if (r.status !== 0) throw new Error(`pg_ctl stop failed: ${(r.stderr || r.stdout).trim()}`);
      },
      start() {
        const r = run(pgCtl, ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
        if (r.status !== 0) throw new Error(`pg_ctl start failed: ${(r.stderr || r.stdout).trim()}`);
      },
      async close() {
        if (stopped) return;
        stopped = true;
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
