/** Git facts about source trees, for the benchmark's reports and result files. */
import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { ROOT } from './start-servers.js';

/** `git <args>` in this checkout (pass `-C DIR` for another tree); '' when git fails. */
export function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return '';
  }
}

/**
 * A source tree as a results file names it, so that no path of the machine is in it: relative to
 * this checkout, or `<tree at COMMIT>` outside it (a worktree in a scratch folder).
 */
export function treeName(dir: string): string {
  const rel = relative(ROOT, dir);
  if (rel === '') return '.';
  if (!rel.startsWith('..')) return rel;
  const commit = git(['-C', dir, 'rev-parse', '--short', 'HEAD']);
  return `<tree at ${commit || 'unknown commit'}>`;
}
