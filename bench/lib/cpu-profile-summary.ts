/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went, as text:
 * self time per function, inclusive time of the project's own functions, and self time per area
 * (project folder, npm package, Node internals, GC). Idle time is left out of the percentages.
 *
 *   node --import tsx bench/lib/cpu-profile-summary.ts FILE.cpuprofile [--top N] [--requests N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SummaryOptions {
  top?: number;
  /** Project root, stripped from file URLs. */
  root?: string;
  /** Requests served while profiling, to print µs per request. */
  requests?: number;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function shortUrl(url: string, root: string): string {
  if (!url) return '';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  if (root && u.startsWith(root)) u = u.slice(root.length).replace(/^\/+/, '');
  // The benchmark's private build (of this tree or a scratch copy): report it as src/ (compiled .js lines).
  u = u.replace(/^.*\.tmp\/bench-build-\d+\/dist\//, 'src/');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm);
  return u;
}

function area(url: string, name: string): string {
  if (SPECIAL.has(name)) return name;
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/').replace(/\.js$/, '');
  if (url.startsWith('node_modules/')) {
    const parts = url.split('/');
    return parts[1]!.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
  }
  if (url.startsWith('src/')) {
    const parts = url.split('/');
    return parts.length > 2 ? `src/${parts[1]}` : 'src';
  }
  return url;
}

export function summarizeCpuProfile(profile: CpuProfile, options: SummaryOptions = {}): string {
  const top = options.top ?? 30;
  const root = options.root ?? '';
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const keyOf = new Map<number, { key: string; name: string; loc: string; area: string }>();
  for (const n of profile.nodes) {
    const name = n.callFrame.functionName || '(anonymous)';
    const url = shortUrl(n.callFrame.url, root);
    const loc = url ? `${url}:${n.callFrame.lineNumber + 1}` : '';
    keyOf.set(n.id, { key: `${name} ${loc}`, name, loc, area: area(url, name) });
  }

  const self = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const stackKeys = new Map<number, string[]>();
  const keysOnStack = (id: number): string[] => {
    let keys = stackKeys.get(id);
    if (keys) return keys;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur)!;
      if (k.loc.startsWith('src/')) seen.add(k.key);
    }
    keys = [...seen];
    stackKeys.set(id, keys);
    return keys;
  };

  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? 0) / 1000; // ms; the interval after a sample belongs to it
    const id = samples[i]!;
    const k = keyOf.get(id)!;
    total += dt;
    if (k.name === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(k.key, (self.get(k.key) ?? 0) + dt);
    areaSelf.set(k.area, (areaSelf.get(k.area) ?? 0) + dt);
    for (const key of keysOnStack(id)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
  const busy = total - idle;
  const perReq = (ms: number) => (options.requests ? `${((ms * 1000) / options.requests).toFixed(1).padStart(7)} µs/req` : '');
  const pctOf = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)} %`;
  const lines: string[] = [];
  lines.push(`CPU profile: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} %), idle ${(idle / 1000).toFixed(1)} s` + (options.requests ? `; ${options.requests} requests → ${((busy * 1000) / options.requests).toFixed(0)} µs CPU (on the main thread) per request` : ''));
  lines.push('');
  lines.push(`Top ${top} functions by self time (% of busy time):`);
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pctOf(ms)} ${ms.toFixed(0).padStart(7)} ms ${perReq(ms)}  ${key}`);
  lines.push('');
  lines.push('Self time by area:');
  for (const [a, ms] of [...areaSelf].sort((x, y) => y[1] - x[1]).slice(0, 25)) lines.push(`  ${pctOf(ms)} ${ms.toFixed(0).padStart(7)} ms ${perReq(ms)}  ${a}`);
  lines.push('');
  lines.push(`Project functions by inclusive time (self + callees), top ${top}:`);
  for (const [key, ms] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pctOf(ms)} ${ms.toFixed(0).padStart(7)} ms ${perReq(ms)}  ${key}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: cpu-profile-summary FILE.cpuprofile [--top N] [--requests N]\n');
    process.exit(2);
  }
  const num = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const opts: SummaryOptions = { root: fileURLToPath(new URL('../..', import.meta.url)) };
  const t = num('--top');
  const r = num('--requests');
  if (t) opts.top = t;
  if (r) opts.requests = r;
  process.stdout.write(summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, opts) + '\n');
}
