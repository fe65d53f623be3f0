/**
 * Compiles the current source tree (src/, as `npm run build` would) into a private directory
 * under .tmp/, so the benchmark runs plain JavaScript exactly like `switchyard start` in
 * production, from the working tree as it is now, without touching the shared dist/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SwitchyardBuild {
  /** Absolute path of cli.js to run with node. */
  cli: string;
  dir: string;
  /** tsc complaints (the output is still used when cli.js was written). */
  warnings: string;
  remove(): void;
}

export async function buildSwitchyard(root: string): Promise<SwitchyardBuild> {
  const dir = join(root, '.tmp', `bench-build-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // cli.js reads ../package.json for its version, and "type": "module" makes the .js files ESM.
  writeFileSync(join(dir, 'package.json'), readFileSync(join(root, 'package.json')));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let warnings = '';
  try {
    await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist'), '--sourceMap', 'false'], {
      cwd: root,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    warnings = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message;
  }
  const cli = join(dir, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building Switchyard failed:\n${warnings}`);
  }
  return { cli, dir, warnings, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
