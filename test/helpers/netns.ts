/**
 * Shared pieces of the tests that build their own network (namespaces, veth pairs, nftables):
 * running a command synchronously, and deciding whether this machine can run such a test at all.
 */
import { execFileSync } from 'node:child_process';

/** Runs `cmd` with `args` and returns its stdout; throws (with stderr) when it fails. */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `args` inside the network namespace `ns`. */
export function inNs(ns: string, args: string[]): string {
  return run('ip', ['netns', 'exec', ns, ...args]);
}

/** Whether `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a network-namespace test cannot run here, or undefined when it can. Checks root, iproute2 and
 * each of `tools` (a command and the reason it is needed), then creates the namespace `ns` as the
 * proof: when this returns undefined, `ns` exists and the caller deletes it when done.
 */
export function netnsUnavailable(ns: string, tools: Array<{ cmd: string; why: string }> = []): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!hasCommand('ip')) return 'needs iproute2 (ip)';
  for (const t of tools) if (!hasCommand(t.cmd)) return t.why;
  try {
    run('ip', ['netns', 'add', ns]);
  } catch (e) {
    return `cannot create a network namespace: ${(e as Error).message.split('\n')[0]}`;
  }
  return undefined;
}
