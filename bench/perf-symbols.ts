/**
 * Where two servers' CPU goes, by function, native code included: runs `bench/tree-ab.ts` under
 * `perf record` (a cpu-clock sample on every CPU, about 2,000 a second) with V8's perf map on in
 * each tree, then prints the functions whose self time per request differs most between "before"
 * and "after", and the totals by kind of code (JIT-compiled JavaScript, V8 and Node's C++, libc,
 * kernel). A `--cpu-prof` profile shows JavaScript only; this also names the kernel's page-fault
 * work, the allocator and V8's collector, which is where a cost that the JavaScript profile cannot
 * find tends to be.
 *
 *   node --import tsx bench/perf-symbols.ts [--top 50] -- <tree-ab.ts arguments>
 *   e.g. node --import tsx bench/perf-symbols.ts -- --before . --after . --cached-alias \
 *          --before-scenario switchyard-unique --scenario switchyard-cache-miss --modes json --rounds 6
 *
 * A function's µs per request is its share of that server's samples times the server's CPU per
 * request (tree-ab's median): so the figures add up to the CPU per request, and each inherits its
 * noise. Needs Linux perf (Debian: linux-perf) and the permission to sample every CPU (root, or
 * kernel.perf_event_paranoid ≤ 0). Use one mode per run: the CPU per request read back is the
 * first mode's. With tree-ab's --restart-every, a tree's samples are summed over its processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './lib/start-servers.js';

interface Tree {
  name: string;
  /** Every process the tree ran in (more than one with tree-ab's --restart-every). */
  pids: string[];
  cpuUs: number;
}

function parseArgs(argv: string[]): { top: number; treeAb: string[] } {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const treeAb = dash < 0 ? [] : argv.slice(dash + 1);
  let top = 50;
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--top') top = Math.max(1, Number(own[++i]) || 50);
    else throw new Error(`unknown option ${own[i]}; see the comment at the top of bench/perf-symbols.ts`);
  }
  if (treeAb.length === 0) throw new Error('give tree-ab.ts its arguments after --, e.g. -- --before . --after . --modes json');
  if (treeAb.some((a) => a.startsWith('--before-node-args') || a.startsWith('--after-node-args'))) {
    throw new Error('perf-symbols sets --before-node-args and --after-node-args itself (--perf-basic-prof)');
  }
  return { top, treeAb };
}

/** The servers' pids (from tree-ab's log) and CPU per request (from its summary). */
function treesOf(output: string): Tree[] {
  const pids = new Map<string, string[]>();
  for (const m of output.matchAll(/^(\S+) \(built JS\) pid (\d+)/gm)) pids.set(m[1]!, [...(pids.get(m[1]!) ?? []), m[2]!]);
  const cpu = new Map<string, number>();
  for (const m of output.matchAll(/^\S+\s+(\S+?): .*?CPU\/req (\d+) µs/gm)) if (!cpu.has(m[1]!)) cpu.set(m[1]!, Number(m[2]));
  const trees: Tree[] = [];
  for (const [name, list] of pids) {
    const us = cpu.get(name);
    if (us !== undefined) trees.push({ name, pids: list, cpuUs: us });
  }
  return trees;
}

/** Kind of code a sample's symbol is in, from its binary (perf's dso). */
function kindOf(dso: string): string {
  if (dso.includes('kernel')) return 'kernel';
  if (/perf-\d+\.map/.test(dso)) return 'JIT (JavaScript, V8 stubs)';
  if (/\/node$|libnode/.test(dso)) return 'node binary (V8, Node, OpenSSL, libuv)';
  if (/libc\.so|libstdc|libm\.so|libpthread/.test(dso)) return 'libc and C++ runtime';
  return 'other native';
}

interface Samples {
  total: number;
  bySymbol: Map<string, number>;
  byKind: Map<string, number>;
}

/** Each tree's samples, over all of its processes. */
async function samplesByTree(data: string, trees: Tree[]): Promise<Map<string, Samples>> {
  const out = new Map<string, Samples>();
  const treeOfPid = new Map<string, Samples>();
  for (const t of trees) {
    const s: Samples = { total: 0, bySymbol: new Map(), byKind: new Map() };
    out.set(t.name, s);
    for (const p of t.pids) treeOfPid.set(p, s);
  }
  const ps = spawn('perf', ['script', '-F', 'pid,ip,sym,dso', '-i', data], { stdio: ['ignore', 'pipe', 'ignore'] });
  for await (const line of createInterface({ input: ps.stdout })) {
    const m = /^\s*(\d+)\s+[0-9a-f]+\s+(.*?)\s+\(([^()]*)\)\s*$/.exec(line);
    if (!m) continue;
    const entry = treeOfPid.get(m[1]!);
    if (!entry) continue;
    const dso = m[3]!;
    const kind = kindOf(dso);
    const sym = `${(m[2] || '[unknown]').replace(/\+0x[0-9a-f]+$/, '')}${kind.startsWith('JIT') ? '' : ` [${dso.split('/').pop()}]`}`;
    entry.total++;
    entry.bySymbol.set(sym, (entry.bySymbol.get(sym) ?? 0) + 1);
    entry.byKind.set(kind, (entry.byKind.get(kind) ?? 0) + 1);
  }
  return out;
}

async function main(): Promise<void> {
  const { top, treeAb } = parseArgs(process.argv.slice(2));
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('Linux perf is not installed (Debian: apt-get install linux-perf)');
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-perf-'));
  const data = join(dir, 'perf.data');
  const mapPids: string[] = [];
  try {
    const args = ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-a', '-o', data, '--', process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'tree-ab.ts'), ...treeAb, '--before-node-args', '--perf-basic-prof', '--after-node-args', '--perf-basic-prof'];
    process.stderr.write(`perf ${args.join(' ')}\n`);
    let output = '';
    const rec = spawn('perf', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [rec.stdout, rec.stderr]) {
      s.on('data', (b: Buffer) => {
        output += b.toString();
        process.stderr.write(b);
      });
    }
    const code = await new Promise<number | null>((resolve) => rec.on('close', resolve));
    if (code !== 0) throw new Error(`perf record or tree-ab failed (exit ${code})`);
    const trees = treesOf(output);
    mapPids.push(...trees.flatMap((t) => t.pids));
    const [a, ...others] = trees;
    if (!a || others.length === 0) throw new Error('could not read the servers\' pids and CPU per request from tree-ab\'s output');
    const samples = await samplesByTree(data, trees);
    const perReq = (t: Tree, count: number) => (count / Math.max(1, samples.get(t.name)!.total)) * t.cpuUs;
    for (const b of others) {
      const sa = samples.get(a.name)!;
      const sb = samples.get(b.name)!;
      const rows = [...new Set([...sa.bySymbol.keys(), ...sb.bySymbol.keys()])].map((sym) => {
        const x = perReq(a, sa.bySymbol.get(sym) ?? 0);
        const y = perReq(b, sb.bySymbol.get(sym) ?? 0);
        return { sym, x, y, d: y - x };
      });
      rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d));
      const f = (n: number) => n.toFixed(2).padStart(7);
      const procs = (t: Tree) => (t.pids.length === 1 ? `pid ${t.pids[0]}` : `${t.pids.length} processes`);
      const lines = [`\nself time, µs per request: ${a.name} (${procs(a)}, ${a.cpuUs} µs, ${sa.total} samples) against ${b.name} (${procs(b)}, ${b.cpuUs} µs, ${sb.total} samples)`, `${'diff'.padStart(7)} ${a.name.padStart(7)} ${b.name.padStart(7)}  function`];
      for (const r of rows.slice(0, top)) lines.push(`${r.d >= 0 ? '+' : '-'}${f(Math.abs(r.d)).slice(1)} ${f(r.x)} ${f(r.y)}  ${r.sym.slice(0, 120)}`);
      lines.push('by kind of code:');
      for (const kind of new Set([...sa.byKind.keys(), ...sb.byKind.keys()])) {
        const x = perReq(a, sa.byKind.get(kind) ?? 0);
        const y = perReq(b, sb.byKind.get(kind) ?? 0);
        lines.push(`${y - x >= 0 ? '+' : '-'}${f(Math.abs(y - x)).slice(1)} ${f(x)} ${f(y)}  ${kind}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // V8 leaves its perf maps (/tmp/perf-<pid>.map) behind; the servers have exited by now.
    for (const pid of mapPids) rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`perf-symbols: ${(e as Error).message}\n`);
  process.exit(1);
});
