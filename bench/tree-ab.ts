/**
 * Source trees side by side, so that a before/after comparison survives a host whose speed drifts
 * by tens of percent over minutes: the bare hop, Switchyard built from another tree ("before", e.g.
 * a worktree of an older commit with its own `npm install`) and Switchyard built from this tree
 * ("after"; or several trees, `--after` repeated, to bisect) answer the same closed loop in short
 * blocks, one after the other, for several rounds. Each round gives each tree's throughput as a
 * share of the bare hop's and the server's CPU time per request; the medians over the rounds are
 * reported, with each tree's figures relative to "before" in the same round.
 *
 *   node --import tsx bench/tree-ab.ts --before DIR                     json and stream, same dialect, c=32, 8 rounds
 *   node --import tsx bench/tree-ab.ts --before DIR --cross --rounds 12 Anthropic client -> openai provider
 *   node --import tsx bench/tree-ab.ts --before DIR --after DIR2 --after DIR3   other trees (a bisection)
 *   node --import tsx bench/tree-ab.ts --before DIR --threads           CPU per request by thread too, and page faults
 *   node --import tsx bench/tree-ab.ts --before DIR --rate 600          open loop at 600 req/s: CPU per request and p50
 *   node --import tsx bench/tree-ab.ts --before . --after . --cached-alias --before-scenario switchyard-unique --scenario switchyard-cache-miss
 *                                                                       one tree: the cache at 0 % hits against its baseline
 *   node --import tsx bench/tree-ab.ts --before DIR --config-extra '{"governance":{...},"virtual_keys":{...}}' --scenario switchyard-governed
 *                                                                       both trees with governance on (memory counters)
 *   node --import tsx bench/tree-ab.ts --before DIR --after DIR --after-node-args '--max-semi-space-size=32'
 *                                                                       one tree under two node flag sets
 *   node --import tsx bench/tree-ab.ts --before . --after CLONE --after-node NODE26/bin/node
 *                                                                       two Node majors (CLONE installed with NODE26)
 *   node --import tsx bench/tree-ab.ts --before . --after . --restart-every 1 --rounds 12
 *                                                                       fresh server processes every round: two
 *                                                                       processes of one tree can differ by 15 %
 *                                                                       for their whole life; check with A/A first
 *
 * Both trees run on the bench config (`bench/lib/switchyard-config.ts`, keys the older schema does
 * not know are left out), so "default observers only" is what runs in each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildSwitchyard } from './lib/build-switchyard.js';
import { startLoadGenerator } from './lib/load-client.js';
import { median } from './lib/percentiles.js';
import { readCpuMs, readMinorFaults, readThreadCpuMs } from './lib/proc-stats.js';
import { allScenarios, CONTENT_MARKER } from './lib/scenarios.js';
import type { Mode } from './lib/scenarios.js';
import { ROOT, startServers, startSwitchyardProcess, stopServers } from './lib/start-servers.js';

interface Options {
  before: string;
  after: string[];
  modes: Mode[];
  concurrency: number;
  rounds: number;
  cross: boolean;
  /** Also report CPU per request by thread name (main, GC helpers, workers, libuv). */
  threads: boolean;
  /** Extra node flags for each tree's process (e.g. GC settings), split on spaces. */
  beforeNodeArgs: string[];
  afterNodeArgs: string[];
  /**
   * Node binaries of "before" and of the other trees (default: the one running this script). A
   * tree run by another Node major needs its own `npm install` with that Node (native modules).
   */
  beforeNode?: string;
  afterNode?: string;
  /** Scenario every tree runs (default switchyard, or switchyard-cross with --cross). */
  scenario?: string;
  /** Scenario of the "before" server only (e.g. the cache's baseline, switchyard-unique). */
  beforeScenario?: string;
  /** Configure the cached alias in every server (for the cache scenarios). */
  cachedAlias: boolean;
  /**
   * Open loop at this many requests per second instead of the closed loop: the host is not
   * saturated, so CPU per request (the cost) is steadier than throughput, which follows how the
   * scheduler shares two cores between the server, the mock and the load generator.
   */
  rate?: number;
  /** Merged over the config of the servers other than "before" (JSON). */
  afterConfigExtra?: Record<string, unknown>;
  /** Config added to every tree's (before the after-trees' own extra). */
  configExtra?: Record<string, unknown>;
  /**
   * Start every tree's server afresh after this many rounds (0: never). Two processes of the same
   * tree can differ by 15 % in CPU a request for their whole life (their JIT code, where the
   * scheduler puts them); fresh pairs turn that bias into noise the medians average out.
   */
  restartEvery: number;
}

function parse(argv: string[]): Options {
  const o: Options = { before: '', after: [], modes: ['json', 'stream'], concurrency: 32, rounds: 8, cross: false, threads: false, beforeNodeArgs: [], afterNodeArgs: [], cachedAlias: false, restartEvery: 0 };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (key === '--before') o.before = resolve(value());
    else if (key === '--after') o.after.push(resolve(value()));
    else if (key === '--modes') o.modes = value().split(',').filter((m): m is Mode => m === 'json' || m === 'stream');
    else if (key === '--concurrency') o.concurrency = Math.max(1, Number(value()) || 32);
    else if (key === '--rounds') o.rounds = Math.max(1, Number(value()) || 8);
    else if (key === '--cross') o.cross = true;
    else if (key === '--threads') o.threads = true;
    else if (key === '--scenario') o.scenario = value();
    else if (key === '--before-scenario') o.beforeScenario = value();
    else if (key === '--cached-alias') o.cachedAlias = true;
    else if (key === '--rate') o.rate = Math.max(1, Number(value()) || 500);
    else if (key === '--after-config-extra') o.afterConfigExtra = JSON.parse(value()) as Record<string, unknown>;
    else if (key === '--config-extra') o.configExtra = JSON.parse(value()) as Record<string, unknown>;
    else if (key === '--restart-every') o.restartEvery = Math.max(0, Number(value()) || 0);
    else if (key === '--before-node-args') o.beforeNodeArgs = value().split(' ').filter(Boolean);
    else if (key === '--after-node-args') o.afterNodeArgs = value().split(' ').filter(Boolean);
    else if (key === '--before-node') o.beforeNode = resolve(value());
    else if (key === '--after-node') o.afterNode = resolve(value());
    else throw new Error(`unknown option ${key}; see the comment at the top of bench/tree-ab.ts`);
  }
  if (!o.before) throw new Error('--before DIR is required (a source tree with node_modules, e.g. a git worktree of the older commit)');
  if (o.after.length === 0) o.after.push(ROOT);
  return o;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-tree-ab-'));
  // Each tree is named by its folder ("after" when it is this checkout, or the only one).
  const names = ['before', ...o.after.map((dir, i) => (o.after.length === 1 ? 'after' : dir === ROOT ? `after` : basename(dir) || `after-${i + 1}`))];
  log(`building ${names.length} trees (tsc -> <tree>/.tmp/) ...`);
  // One build per distinct tree (a tree may be compared with itself under other flags or scenarios).
  const dirs = [o.before, ...o.after];
  const unique = [...new Set(dirs)];
  const built = await Promise.all(unique.map((dir) => buildSwitchyard(dir)));
  const builds = dirs.map((dir) => built[unique.indexOf(dir)]!);
  const servers = await startServers({ mock: 'fast', needed: new Set(['bare']), workDir, log });
  const lg = await startLoadGenerator();
  const trees: Awaited<ReturnType<typeof startSwitchyardProcess>>[] = [];
  const startTree = (i: number) => {
    const id = names[i]!;
    const execPath = i === 0 ? o.beforeNode : o.afterNode;
    return startSwitchyardProcess({ id, build: builds[i]!, nodeArgs: { [id]: i === 0 ? o.beforeNodeArgs : o.afterNodeArgs }, ...(execPath ? { execPath } : {}), mockUrl: servers.mock.url, workDir, log, cachedAlias: o.cachedAlias, ...(i > 0 || o.configExtra ? { extra: { ...o.configExtra, ...(i > 0 ? o.afterConfigExtra : undefined) } } : {}) });
  };
  try {
    for (let i = 0; i < builds.length; i++) trees.push(await startTree(i));
    const scenarios = allScenarios(servers.mock.url);
    const find = (id: string) => {
      const s = scenarios.find((x) => x.id === id);
      if (!s) throw new Error(`no scenario ${id}; see bench/lib/scenarios.ts`);
      return s;
    };
    const scenario = find(o.scenario ?? (o.cross ? 'switchyard-cross' : 'switchyard'));
    const beforeScenario = o.beforeScenario ? find(o.beforeScenario) : scenario;
    const bareScenario = find('bare');
    const variants = [{ name: 'bare', scenario: bareScenario, server: servers.bare! }, ...trees.map((server, i) => ({ name: names[i]!, scenario: i === 0 ? beforeScenario : scenario, server }))];
    const lines: string[] = [];
    for (const mode of o.modes) {
      const tp = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      const p50 = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      const p99 = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      /** tree -> thread name -> µs per request, one entry per round. */
      const threadCpu = new Map<string, Map<string, number[]>>(variants.map((v) => [v.name, new Map()]));
      /** tree -> minor page faults of the server per request, one entry per round (with --threads). */
      const faultsPerReq = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      /** One block of load on one variant: a warm-up, then `durationMs` measured (onPhase marks both ends). */
      const block = (v: (typeof variants)[number], durationMs: number, onPhase?: (phase: 'measure' | 'drain') => void) =>
        lg.run(
          {
            label: `${v.name} ${mode}`,
            origin: v.server.url,
            path: v.scenario.path,
            headers: v.scenario.headers,
            body: v.scenario.body(mode === 'stream'),
            ...(v.scenario.uniqueToken ? { uniqueToken: v.scenario.uniqueToken } : {}),
            stream: mode === 'stream',
            marker: CONTENT_MARKER,
            mode: o.rate ? 'open' : 'closed',
            concurrency: o.concurrency,
            ...(o.rate ? { rate: o.rate } : {}),
            warmupMs: 500,
            durationMs,
            maxRequests: 1_000_000,
            maxInFlight: 2_000,
            timeoutMs: 30_000,
          },
          onPhase,
        );
      // With fresh processes every few rounds, the first ones get the same unmeasured warm-up.
      if (o.restartEvery > 0) for (const v of variants.slice(1)) await block(v, 2000);
      for (let round = 0; round < o.rounds; round++) {
        // Odd rounds run the trees in reverse order, so a trend within a round favours none of them.
        const order = round % 2 ? [variants[0]!, ...variants.slice(1).reverse()] : variants;
        for (const v of order) {
          let cpuAt = 0;
          let cpuMs = 0;
          let threadsAt = new Map<string, number>();
          const threadsMs = new Map<string, number>();
          let faultsAt = 0;
          let faults = 0;
          const r = await block(
            v,
            o.rate ? 4000 : 2500,
            (phase) => {
              if (phase === 'measure') {
                cpuAt = readCpuMs(v.server.pid) ?? 0;
                if (o.threads) {
                  threadsAt = readThreadCpuMs(v.server.pid);
                  faultsAt = readMinorFaults(v.server.pid) ?? 0;
                }
              } else {
                if (o.threads) faults = (readMinorFaults(v.server.pid) ?? 0) - faultsAt;
                cpuMs = (readCpuMs(v.server.pid) ?? 0) - cpuAt;
                if (o.threads) for (const [name, ms] of readThreadCpuMs(v.server.pid)) threadsMs.set(name, ms - (threadsAt.get(name) ?? 0));
              }
            },
          );
          if (r.errors > 0) throw new Error(`${v.name} ${mode}: ${r.errors} errors: ${r.errorSamples.join(' | ')}`);
          tp.get(v.name)!.push(r.throughput);
          p50.get(v.name)!.push(r.latency.p50);
          p99.get(v.name)!.push(r.latency.p99);
          cpu.get(v.name)!.push(r.ok ? (cpuMs * 1000) / r.ok : 0);
          if (o.threads) faultsPerReq.get(v.name)!.push(r.ok ? faults / r.ok : 0);
          for (const [name, ms] of threadsMs) {
            const per = threadCpu.get(v.name)!;
            if (!per.has(name)) per.set(name, []);
            per.get(name)!.push(r.ok ? (ms * 1000) / r.ok : 0);
          }
        }
        log(`${mode} round ${round + 1}/${o.rounds}: ${variants.map((v) => `${v.name} ${tp.get(v.name)!.at(-1)!.toFixed(0)} req/s ${cpu.get(v.name)!.at(-1)!.toFixed(0)} µs/req`).join(', ')}`);
        if (o.restartEvery > 0 && (round + 1) % o.restartEvery === 0 && round + 1 < o.rounds) {
          // Fresh processes for every tree, each warmed up (JIT) by an unmeasured block.
          for (let i = 0; i < trees.length; i++) {
            await trees[i]!.stop();
            trees[i] = await startTree(i);
            variants[i + 1]!.server = trees[i]!;
            await block(variants[i + 1]!, 2000);
          }
        }
      }
      const bare = tp.get('bare')!;
      const share = (name: string) => tp.get(name)!.map((x, i) => x / bare[i]!);
      const before = share('before');
      const beforeCpu = cpu.get('before')!;
      const beforeP50 = p50.get('before')!;
      if (o.rate) lines.push(`${mode.padEnd(6)} before: CPU/req ${median(beforeCpu).toFixed(0)} µs, p50 ${median(beforeP50).toFixed(3)} ms, p99 ${median(p99.get('before')!).toFixed(3)} ms (bare ${median(cpu.get('bare')!).toFixed(0)} µs, ${median(p50.get('bare')!).toFixed(3)} ms)`);
      else lines.push(`${mode.padEnd(6)} before: share of bare ${pct(median(before))}, CPU/req ${median(beforeCpu).toFixed(0)} µs`);
      for (const name of names.slice(1)) {
        const rel = share(name).map((x, i) => x / before[i]!);
        const cpuRel = cpu.get(name)!.map((x, i) => x / beforeCpu[i]!);
        const cpuLine = `CPU/req ${median(cpu.get(name)!).toFixed(0)} µs (:before ${pct(median(cpuRel))}, rounds ${pct(Math.min(...cpuRel))}–${pct(Math.max(...cpuRel))})`;
        if (o.rate) {
          const added = p50.get(name)!.map((x, i) => (x - beforeP50[i]!) * 1000);
          const added99 = p99.get(name)!.map((x, i) => (x - p99.get('before')![i]!) * 1000);
          const over = (a: number[]) => `${median(a) >= 0 ? '+' : ''}${median(a).toFixed(0)} µs over before`;
          lines.push(`${mode.padEnd(6)} ${name}: ${cpuLine}; p50 ${median(p50.get(name)!).toFixed(3)} ms (${over(added)}); p99 ${median(p99.get(name)!).toFixed(3)} ms (${over(added99)})`);
        } else {
          lines.push(`${mode.padEnd(6)} ${name}: share of bare ${pct(median(share(name)))}; throughput :before ${pct(median(rel))} (rounds ${pct(Math.min(...rel))}–${pct(Math.max(...rel))}); ${cpuLine}`);
        }
      }
      if (o.threads) {
        const threadNames = new Set(names.flatMap((n) => [...threadCpu.get(n)!.keys()]));
        const of = (tree: string, name: string) => median(threadCpu.get(tree)!.get(name) ?? [0]);
        for (const t of [...threadNames].sort()) lines.push(`         thread ${t.padEnd(16)} ${names.map((n) => `${n} ${of(n, t).toFixed(1)} µs/req`).join(', ')}`);
        lines.push(`         minor page faults       ${names.map((n) => `${n} ${median(faultsPerReq.get(n)!).toFixed(2)}/req`).join(', ')}`);
      }
    }
    process.stdout.write(`\n${beforeScenario.id === scenario.id ? scenario.id : `before: ${beforeScenario.id}, others: ${scenario.id}`}, ${o.rate ? `open loop ${o.rate} req/s` : `c=${o.concurrency}`}, ${o.rounds} interleaved rounds per mode (medians of per-round figures)\n${lines.join('\n')}\n`);
  } finally {
    await lg.close();
    for (const t of trees) await t.stop();
    await stopServers(servers);
    for (const b of built) b.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`tree-ab: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
