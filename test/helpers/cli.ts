/** The gateway's CLI in a process of its own, for tests that must kill it (SIGKILL: a crash). */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `switchyard start --config FILE --port 0`, resolved once it says where it listens (at most 60 s). */
export async function startCli(configFile: string): Promise<{ process: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'start', '--config', configFile, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // Read for the process's whole life, so it never blocks on a full pipe.
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      proc.off('exit', exited);
    };
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      stop();
      resolve(m[1]!);
    };
    const exited = (code: number | null) => {
      stop();
      reject(new Error(`the CLI exited (${code}) before listening: ${err || out}`));
    };
    const timer = setTimeout(() => {
      stop();
      proc.kill('SIGKILL');
      reject(new Error(`the CLI did not listen within 60 s: ${err || out}`));
    }, 60_000);
    proc.stdout!.on('data', check);
    proc.on('exit', exited);
  });
  return { process: proc, url };
}
