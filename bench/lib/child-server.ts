/**
 * Servers under test as child processes: spawned with an IPC channel (for the memory probe),
 * ready once a line of their stdout matches, stopped with SIGTERM then SIGKILL. Every child is
 * killed when the orchestrator exits, however it exits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  child: ChildProcess;
  /** process.memoryUsage() of the child, through the preloaded server probe (undefined if it has none). */
  memory(options?: { timeoutMs?: number; gc?: boolean }): Promise<NodeJS.MemoryUsage | undefined>;
  /** Event-loop delay (ms) and utilization since the previous call, through the server probe. */
  loop(timeoutMs?: number): Promise<LoopStats | undefined>;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  logTail(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface LoopStats {
  p50: number;
  p99: number;
  max: number;
  utilization: number;
}

export interface StartServerOptions {
  name: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** First capture group is the URL; without a group, `url` is used once the line matches. */
  ready: RegExp;
  url?: string;
  /** Also wait until this TCP port accepts a connection. */
  waitForPort?: number;
  timeoutMs?: number;
  cwd?: string;
  /** The node binary (default: the one running the bench), e.g. another Node major to compare. */
  execPath?: string;
}

export const SERVER_PROBE = fileURLToPath(new URL('../servers/server-probe.mjs', import.meta.url));

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping the servers\n`);
      process.exit(130);
    });
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startServer(o: StartServerOptions): Promise<ServerProcess> {
  installExitHook();
  const child = spawn(o.execPath ?? process.execPath, o.args, {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // The last ~16 KB of output, for error messages. Kept as raw chunks: a gateway logging every
  // request must not make this process (which shares the CPUs) split lines at thousands per second.
  const tail: Buffer[] = [];
  let tailBytes = 0;
  const keep = (chunk: Buffer) => {
    tail.push(chunk);
    tailBytes += chunk.length;
    while (tailBytes > 16_384 && tail.length > 1) tailBytes -= tail.shift()!.length;
  };
  const tailText = () => Buffer.concat(tail).toString('utf8').split('\n').slice(-60).join('\n');
  child.stderr!.on('data', keep);
  let memWaiters: Array<(m: NodeJS.MemoryUsage) => void> = [];
  let loopWaiters: Array<(l: LoopStats) => void> = [];
  child.on('message', (m: { type?: string; memory?: NodeJS.MemoryUsage; loop?: LoopStats }) => {
    if (m?.type === 'memory' && m.memory) {
      const w = memWaiters;
      memWaiters = [];
      for (const f of w) f(m.memory);
    } else if (m?.type === 'loop' && m.loop) {
      const w = loopWaiters;
      loopWaiters = [];
      for (const f of w) f(m.loop);
    }
  });
  const ask = <T>(waiters: Array<(v: T) => void>, message: object, timeoutMs: number): Promise<T | undefined> => {
    if (!child.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      waiters.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
      try {
        child.send(message);
      } catch {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  };
  child.on('error', () => {});

  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${o.name}: not ready within ${o.timeoutMs ?? 20_000} ms`)), o.timeoutMs ?? 20_000);
    const finish = (err: Error | undefined, url?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) {
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n--- ${o.name} output ---\n${tailText()}`));
      } else resolve(url!);
    };
    const onExit = (code: number | null, sig: string | null) => finish(new Error(`${o.name}: exited before it was ready (code ${code}, signal ${sig})`));
    child.once('exit', onExit);
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (done) return;
      buf += chunk.toString('utf8');
      const m = o.ready.exec(buf);
      if (!m) {
        if (buf.length > 64_000) buf = buf.slice(-8_000);
        return;
      }
      const u = m[1] ?? o.url;
      if (!u) return finish(new Error(`${o.name}: ready line has no URL`));
      if (o.waitForPort === undefined) return finish(undefined, u);
      void (async () => {
        for (let i = 0; i < 100 && !done; i++) {
          if (await portOpen(o.waitForPort!)) return finish(undefined, u);
          await new Promise((r) => setTimeout(r, 100));
        }
        finish(new Error(`${o.name}: port ${o.waitForPort} never accepted a connection`));
      })();
    });
  });

  return {
    name: o.name,
    pid: child.pid!,
    url,
    child,
    memory: ({ timeoutMs = 2000, gc = false } = {}) => ask(memWaiters, { type: 'memory', gc }, timeoutMs),
    loop: (timeoutMs = 1000) => ask(loopWaiters, { type: 'loop' }, timeoutMs),
    logTail: tailText,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** A free TCP port on 127.0.0.1 (for servers that cannot take port 0 and report it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
