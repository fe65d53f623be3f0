/** The orchestrator's side of the load-generator process: fork it once, send it jobs one by one. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, LoadJob, LoadResult, ToWorker } from './load-types.js';

export interface LoadGenerator {
  pid: number;
  /** Runs a job; onPhase is called when the measured window starts and ends. */
  run(job: LoadJob, onPhase?: (phase: 'measure' | 'drain') => void): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  process.on('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('load generator did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`load generator exited (code ${code})`)));
    child.on('message', function onReady(m: FromWorker) {
      if (m.type === 'ready') {
        clearTimeout(t);
        child.off('message', onReady);
        resolve();
      }
    });
  });
  let nextId = 1;
  return {
    pid: child.pid!,
    run(job, onPhase) {
      const id = nextId++;
      return new Promise<LoadResult>((resolve, reject) => {
        const onMessage = (m: FromWorker) => {
          if (m.type === 'phase' && m.id === id) onPhase?.(m.phase);
          else if (m.type === 'result' && m.id === id) done(() => resolve(m.result));
          else if (m.type === 'error' && m.id === id) done(() => reject(new Error(`load generator: ${m.message}`)));
        };
        const onExit = (code: number | null) => done(() => reject(new Error(`load generator exited (code ${code}) during ${job.label}`)));
        const done = (f: () => void) => {
          child.off('message', onMessage);
          child.off('exit', onExit);
          f();
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'run', id, job } satisfies ToWorker);
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ type: 'exit' } satisfies ToWorker);
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}
