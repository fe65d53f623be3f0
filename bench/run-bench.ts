/**
 * `npm run bench` — Switchyard side by side with the baselines, in one run, on one machine,
 * against one mock upstream process:
 *
 *   direct      load generator -> mock
 *   bare        load generator -> bare Node hop (node:http + undici Pool, piped) -> mock
 *   switchyard  load generator -> Switchyard (built from this tree, `switchyard start`) -> mock,
 *               same dialect (OpenAI -> openai) and cross dialect (Anthropic -> openai)
 *   portkey     load generator -> @portkey-ai/gateway (node_modules) -> mock
 *
 * Every server and the load generator run in their own process. For each of non-stream (json)
 * and stream, three phases, interleaved across scenarios so drifting machine load hits all alike:
 *   c1          closed loop at concurrency 1: unloaded latency
 *   throughput  closed loop at --concurrency (32): requests per second, CPU per request, RSS
 *   open        open loop at --rate (1000/s), latency from the scheduled send time
 * Then a table with ratios and the targets (met / not met), results JSON under bench/results/.
 *
 *   npm run bench                       full run (about 7 minutes)
 *   npm run bench -- --quick            shorter windows
 *   npm run bench:smoke                 seconds, tiny counts; fails only if a server cannot start or a request errors
 *   npm run bench -- --profile          CPU profile of Switchyard under load (top self-time functions);
 *                                       --profile-server bare|portkey profiles a baseline the same way;
 *                                       --scenarios=switchyard-governed profiles the governed server
 *          --rounds N (the c=32 phase as N windows, round robin over the scenarios; each ratio is
 *            the median of the per-round ratios, steadier where the host drifts; default 6, --quick 4:
 *            even, so that each of two scenarios on one server opens half the rounds, roundOrder)
 * Options: --concurrency N  --rate N  --scenarios a,b  --modes json,stream  --mock fast|project
 *          --tsx (run Switchyard from src with tsx)  --no-portkey  --config-extra JSON  --provider-extra JSON
 *          --out FILE  --no-write  --update-docs  --profile-seconds N  --profile-server S
 *          --switchyard-root DIR (build Switchyard from another tree, e.g. a scratch copy with a change)
 *          --baseline-root DIR (also build Switchyard from DIR, e.g. a worktree of an older commit with
 *            node_modules, and run every Switchyard scenario's twin `<id>@base` right after it in each
 *            phase: before and after in one run, each a share of the same bare hop)
 *          --switchyard-node-args "--max-semi-space-size=8"  --switchyard-env MALLOC_ARENA_MAX=2
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSwitchyard } from './lib/build-switchyard.js';
import { git, treeName } from './lib/git-tree.js';
import type { SwitchyardBuild } from './lib/build-switchyard.js';
import type { LoopStats, ServerProcess } from './lib/child-server.js';
import { summarizeCpuProfile } from './lib/cpu-profile-summary.js';
import { startLoadGenerator } from './lib/load-client.js';
import type { LoadGenerator } from './lib/load-client.js';
import type { LoadJob, LoadResult } from './lib/load-types.js';
import { hostBusyCores, machineInfo, readCpuMs, readHostCpu, readRssBytes } from './lib/proc-stats.js';
import { formatMarkdown, formatText, summarize } from './lib/report.js';
import type { MemoryPoint, PhaseId, PhaseRecord, ServerMemory } from './lib/report.js';
import { allScenarios, BASE_SUFFIX, CONTENT_MARKER, DEFAULT_SCENARIOS, roundOrder, withBaselineTwins } from './lib/scenarios.js';
import type { Mode, Scenario, ServerId } from './lib/scenarios.js';
import { allServers, ROOT, serverFor, startServers, stopServers } from './lib/start-servers.js';
import { parseOptions } from './lib/options.js';
import type { Options } from './lib/options.js';
import type { Servers } from './lib/start-servers.js';

interface PhaseSpec {
  id: PhaseId;
  mode: 'closed' | 'open';
  concurrency: number;
  rate?: number;
  warmupMs: number;
  durationMs: number;
}

function phaseSpecs(o: Options): PhaseSpec[] {
  const [w1, d1, w2, d2] = o.smoke ? [200, 500, 200, 800] : o.quick ? [500, 2_000, 1_000, 4_000] : [1_000, 5_000, 2_000, 10_000];
  return [
    { id: 'c1', mode: 'closed', concurrency: 1, warmupMs: w1, durationMs: d1 },
    { id: 'throughput', mode: 'closed', concurrency: o.concurrency, warmupMs: w2, durationMs: d2 },
    { id: 'open', mode: 'open', concurrency: 64, rate: o.rate, warmupMs: w2, durationMs: d2 },
  ];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function memoryPoint(s: ServerProcess): Promise<MemoryPoint> {
  const m = await s.memory();
  const rss = readRssBytes(s.pid);
  const p: MemoryPoint = {};
  if (rss !== undefined) p.rssBytes = rss;
  if (m) {
    p.heapUsedBytes = m.heapUsed;
    p.heapTotalBytes = m.heapTotal;
  }
  return p;
}

function jobFor(s: Scenario, url: string, mode: Mode, p: PhaseSpec, label: string): LoadJob {
  const stream = mode === 'stream';
  const expected = p.mode === 'open' ? ((p.warmupMs + p.durationMs) / 1000) * (p.rate ?? 1000) : ((p.warmupMs + p.durationMs) / 1000) * 100_000;
  return {
    label,
    origin: url,
    path: s.path,
    headers: s.headers,
    body: s.body(stream),
    stream,
    marker: CONTENT_MARKER,
    ...(s.uniqueToken ? { uniqueToken: s.uniqueToken } : {}),
    mode: p.mode,
    concurrency: p.concurrency,
    ...(p.rate !== undefined ? { rate: p.rate } : {}),
    warmupMs: p.warmupMs,
    durationMs: p.durationMs,
    maxRequests: Math.min(2_000_000, Math.ceil(expected)),
    maxInFlight: 2_000,
    timeoutMs: 30_000,
  };
}

/** Redis's own counters, to count what a governed request costs it (script calls, socket reads). */
async function redisStats(servers: Servers): Promise<{ scripts: number; reads: number } | undefined> {
  const r = servers.redis;
  if (!r) return undefined;
  const { Redis } = await import('ioredis');
  const c = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await c.connect();
    const info = `${await c.info('stats')}\n${await c.info('commandstats')}`;
    const num = (re: RegExp) => Number(re.exec(info)?.[1] ?? 0);
    return { scripts: num(/cmdstat_evalsha:calls=(\d+)/) + num(/cmdstat_eval:calls=(\d+)/), reads: num(/total_reads_processed:(\d+)/) };
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}

/** Runs one job while sampling the servers' CPU and memory over its measured window. */
async function measured(args: {
  lg: LoadGenerator;
  job: LoadJob;
  server: ServerProcess;
  servers: Servers;
}): Promise<{ result: LoadResult; cpuMs: PhaseRecord['cpuMs']; hostBusyCores: number; foreignCores: number; rssMaxBytes: number; loop?: LoopStats; redisOps?: { scripts: number; reads: number } }> {
  const { lg, job, server, servers } = args;
  const redisPid = servers.redis?.pid;
  const pids = [...new Set([...allServers(servers).map((s) => s.pid), lg.pid, process.pid, ...(redisPid !== undefined ? [redisPid] : [])])];
  let start: { cpu: Map<number, number>; host: ReturnType<typeof readHostCpu>; t: number } | undefined;
  let end: typeof start;
  let rssMax = 0;
  let sampler: NodeJS.Timeout | undefined;
  const snap = () => ({ cpu: new Map(pids.map((p) => [p, readCpuMs(p) ?? 0])), host: readHostCpu(), t: performance.now() });
  const sampleRss = () => {
    const r = readRssBytes(server.pid);
    if (r !== undefined && r > rssMax) rssMax = r;
  };
  let loop: Promise<LoopStats | undefined> | undefined;
  let reset: Promise<LoopStats | undefined> | undefined;
  const governed = server === servers['switchyard-governed'];
  let redis0: ReturnType<typeof redisStats> | undefined;
  let redis1: ReturnType<typeof redisStats> | undefined;
  const result = await lg.run(job, (phase) => {
    if (phase === 'measure') {
      start = snap();
      sampleRss();
      sampler = setInterval(sampleRss, 250);
      reset = server.loop(); // resets the probe's event-loop histogram: the next reading covers the window
      if (governed) redis0 = redisStats(servers);
    } else {
      end = snap();
      if (governed) redis1 = redisStats(servers);
      sampleRss();
      clearInterval(sampler);
      loop = (reset ?? Promise.resolve(undefined)).then(() => server.loop());
    }
  });
  const loopStats = await loop;
  const [r0, r1] = [await redis0, await redis1];
  clearInterval(sampler);
  sampleRss();
  start ??= snap();
  end ??= snap();
  const d = (pid: number) => (end!.cpu.get(pid) ?? 0) - (start!.cpu.get(pid) ?? 0);
  const ours = pids.reduce((n, p) => n + d(p), 0);
  const wallMs = Math.max(1, end.t - start.t);
  const busy = hostBusyCores(start.host, end.host);
  return {
    result,
    cpuMs: { server: d(server.pid), mock: d(servers.mock.pid), loadgen: d(lg.pid), ours, ...(redisPid !== undefined ? { redis: d(redisPid) } : {}) },
    hostBusyCores: busy,
    foreignCores: Math.max(0, busy - ours / wallMs),
    rssMaxBytes: rssMax,
    ...(loopStats ? { loop: loopStats } : {}),
    ...(r0 && r1 ? { redisOps: { scripts: r1.scripts - r0.scripts, reads: r1.reads - r0.reads } } : {}),
  };
}

function resultsPath(o: Options, date: string, commit: string): string {
  if (o.out) return o.out;
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  let name = `${date}-${commit || 'nogit'}`;
  for (let n = 2; existsSync(join(dir, `${name}.json`)); n++) name = `${date}-${commit || 'nogit'}-${n}`;
  return join(dir, `${name}.json`);
}

const DOCS_START = '<!-- bench:latest:start -->';
const DOCS_END = '<!-- bench:latest:end -->';

function updateDocs(markdown: string): void {
  const path = join(ROOT, 'docs', 'performance.md');
  if (!existsSync(path)) return log(`--update-docs: ${path} not found`);
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(DOCS_START);
  const b = text.indexOf(DOCS_END);
  if (a < 0 || b < a) return log(`--update-docs: markers ${DOCS_START} / ${DOCS_END} not found in docs/performance.md`);
  writeFileSync(path, `${text.slice(0, a + DOCS_START.length)}\n${markdown}\n${text.slice(b)}`);
  log('docs/performance.md: latest results section updated');
}

async function runProfile(o: Options, build: SwitchyardBuild | undefined, workDir: string): Promise<number> {
  // Profiling only governed scenarios profiles the governed server.
  const target = o.profileServer === 'switchyard' && o.scenarios.length > 0 && o.scenarios.every((id) => id === 'switchyard-governed') ? 'switchyard-governed' : o.profileServer;
  const profDir = mkdtempSync(join(tmpdir(), `${target}-cpuprof-`));
  const servers = await startServers({
    mock: o.mock,
    needed: new Set<ServerId>([target]),
    ...(build ? { build } : {}),
    workDir,
    configExtra: o.configExtra,
    providerExtra: o.providerExtra,
    nodeArgs: { [target]: ['--cpu-prof', '--cpu-prof-dir', profDir, ...(target.startsWith('switchyard') ? o.switchyardNodeArgs : [])] },
    cachedAlias: o.scenarios.some((id) => id.startsWith('switchyard-cache')),
    switchyardRoot: o.switchyardRoot,
    switchyardEnv: o.switchyardEnv,
    log,
  });
  const server = serverFor(servers, target);
  if (!server) {
    await stopServers(servers);
    log(`--profile: ${target} did not start`);
    return 1;
  }
  const lg = await startLoadGenerator();
  const candidates = allScenarios(servers.mock.url).filter((s) => s.server === target);
  const chosen = candidates.filter((s) => o.scenarios.includes(s.id));
  const useScenarios = chosen.length ? chosen : candidates.filter((s) => DEFAULT_SCENARIOS.includes(s.id));
  let requests = 0;
  try {
    for (const mode of o.modes) {
      for (const s of useScenarios) {
        const spec: PhaseSpec = { id: 'throughput', mode: 'closed', concurrency: o.concurrency, warmupMs: 1_000, durationMs: o.profileSeconds * 1000 };
        const r = await lg.run(jobFor(s, server.url, mode, spec, `profile ${s.id} ${mode}`));
        requests += r.ok;
        log(`profile load: ${s.id} ${mode}: ${r.throughput.toFixed(0)} req/s, ${r.errors} errors`);
      }
    }
  } finally {
    await lg.close();
    await stopServers(servers);
  }
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    log(`no .cpuprofile written in ${profDir}`);
    return 1;
  }
  // Worker threads write profiles of their own (CPU.<date>.<time>.<pid>.<thread id>.<seq>): the
  // main thread's has thread id 0.
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0]!;
  const file = join(profDir, main);
  if (files.length > 1) log(`profiles of ${files.length} threads written; summarising the main thread's (${main})`);
  // Requests include the warm-up ones the profile also saw; close enough for µs-per-request figures.
  const text = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')), { top: 35, root: ROOT, requests });
  writeFileSync(join(profDir, 'summary.txt'), text);
  process.stdout.write(`${target}: ${useScenarios.map((s) => s.id).join(', ')} × ${o.modes.join(', ')} at c=${o.concurrency}, ${o.profileSeconds} s each\n${text}\nprofile: ${file}\nsummary: ${join(profDir, 'summary.txt')}\n`);
  return 0;
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const machine = machineInfo();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src']).length > 0;
  const date = new Date().toISOString().slice(0, 10);
  log(`switchyard bench${o.smoke ? ' (smoke)' : o.quick ? ' (quick)' : o.profile ? ' (profile)' : ''}: ${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}, commit ${commit}${dirty ? ' + uncommitted changes in src/' : ''}`);

  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  let build: SwitchyardBuild | undefined;
  let baseBuild: SwitchyardBuild | undefined;
  const wantSwitchyard = o.profile ? o.profileServer.startsWith('switchyard') : allScenarios('').some((s) => s.server.startsWith('switchyard') && o.scenarios.includes(s.id));
  if (wantSwitchyard && !o.tsx) {
    log('building Switchyard from the working tree (tsc -> .tmp/) ...');
    try {
      build = await buildSwitchyard(o.switchyardRoot);
      if (build.warnings) log(`tsc reported problems (the emitted JavaScript is used anyway):\n${build.warnings.split('\n').slice(0, 10).join('\n')}`);
      if (o.baselineRoot && !o.profile) {
        log(`building the baseline Switchyard from ${o.baselineRoot} ...`);
        baseBuild = await buildSwitchyard(o.baselineRoot);
        if (baseBuild.warnings) log(`tsc reported problems in the baseline tree (the emitted JavaScript is used anyway):\n${baseBuild.warnings.split('\n').slice(0, 10).join('\n')}`);
      }
    } catch (e) {
      log(`${(e as Error).message}\nfalling back to running src/cli.ts with tsx`);
    }
  }

  try {
    if (o.profile) return await runProfile(o, build, workDir);

    const scenariosAll = allScenarios('http://127.0.0.1:0');
    for (const id of o.scenarios) if (!scenariosAll.some((s) => s.id === id)) throw new Error(`unknown scenario "${id}"; known: ${scenariosAll.map((s) => s.id).join(', ')}`);
    const needed = new Set<ServerId>(scenariosAll.filter((s) => o.scenarios.includes(s.id)).map((s) => s.server));
    if (o.baselineRoot && needed.has('switchyard')) needed.add('switchyard-base');
    if (!o.portkey) needed.delete('portkey');

    let servers: Servers;
    try {
      servers = await startServers({
        mock: o.mock,
        needed,
        ...(build ? { build } : {}),
        workDir,
        configExtra: o.configExtra,
        providerExtra: o.providerExtra,
        nodeArgs: { switchyard: o.switchyardNodeArgs, 'switchyard-governed': o.switchyardNodeArgs, 'switchyard-base': o.switchyardNodeArgs },
        cachedAlias: o.scenarios.some((id) => id.startsWith('switchyard-cache')),
        switchyardRoot: o.switchyardRoot,
        ...(o.baselineRoot ? { baseline: { root: o.baselineRoot, ...(baseBuild ? { build: baseBuild } : {}) } } : {}),
        switchyardEnv: o.switchyardEnv,
        log,
      });
    } catch (e) {
      log(`\nbench: a server could not be started:\n${(e as Error).message}`);
      return 1;
    }
    const chosen = allScenarios(servers.mock.url).filter((s) => o.scenarios.includes(s.id));
    const scenarios = (o.baselineRoot ? withBaselineTwins(chosen) : chosen).filter((s) => serverFor(servers, s.server) !== undefined);
    const lg = await startLoadGenerator();
    const records: PhaseRecord[] = [];
    const memory = new Map<ServerId, ServerMemory>();
    let failed = false;
    try {
      await sleep(1000);
      for (const id of ['mock', 'bare', 'switchyard', 'switchyard-governed', 'switchyard-base', 'portkey'] as const) {
        const s = serverFor(servers, id);
        if (s) memory.set(id, { server: id, pid: s.pid, idle: await memoryPoint(s), loadMaxRssBytes: 0, after: {} });
      }

      // One request per scenario first: a server that answers wrongly fails fast, with its output.
      for (const mode of o.modes) {
        for (const s of scenarios) {
          const server = serverFor(servers, s.server)!;
          const probe: PhaseSpec = { id: 'c1', mode: 'closed', concurrency: 1, warmupMs: 0, durationMs: 5_000 };
          const r = await lg.run({ ...jobFor(s, server.url, mode, probe, `check ${s.id} ${mode}`), maxRequests: 1 });
          if (r.errors > 0 || r.ok < 1) {
            log(`\nbench: ${s.id} (${mode}) does not answer correctly: ${r.errorSamples.join(' | ') || 'no answer'}\n--- ${server.name} output ---\n${server.logTail()}`);
            failed = true;
          }
        }
      }
      if (failed) return 1;

      const specs = phaseSpecs(o);
      const roundsOf = (spec: PhaseSpec) => (spec.id === 'throughput' ? o.rounds : 1);
      const total = o.modes.length * scenarios.length * specs.reduce((k, spec) => k + roundsOf(spec), 0);
      let n = 0;
      for (const mode of o.modes) {
        for (const fullSpec of specs) {
          const rounds = roundsOf(fullSpec);
          // With rounds, each window is a share of the phase; its warm-up (new connections, a
          // server that just served another scenario) does not shrink below half a second.
          const spec = rounds === 1 ? fullSpec : { ...fullSpec, warmupMs: Math.max(500, Math.round(fullSpec.warmupMs / rounds)), durationMs: Math.round(fullSpec.durationMs / rounds) };
          for (let round = 0; round < rounds; round++) {
            // Every other round runs each server's scenarios in reverse (roundOrder), so that of two
            // rows on one server neither is always the one measured after the server sat idle.
            for (const s of roundOrder(scenarios, round)) {
              const server = serverFor(servers, s.server)!;
              n++;
              const label = `${s.id} ${mode} ${spec.id}${rounds > 1 ? ` ${round + 1}/${rounds}` : ''}`;
              const m = await measured({ lg, job: jobFor(s, server.url, mode, spec, label), server, servers });
              const ok = m.result.ok;
              const record: PhaseRecord = {
                mode,
                phase: spec.id,
                ...(rounds > 1 ? { round } : {}),
                scenario: s.id,
                server: s.server,
                result: m.result,
                cpuMs: m.cpuMs,
                cpuUsPerRequest: ok > 0 ? (m.cpuMs.server * 1000) / ok : 0,
                hostBusyCores: m.hostBusyCores,
                foreignCores: m.foreignCores,
                rssMaxBytes: m.rssMaxBytes,
                ...(m.loop ? { loop: m.loop } : {}),
                ...(m.redisOps ? { redisOps: m.redisOps } : {}),
              };
              records.push(record);
              const mem = memory.get(s.server);
              if (mem && s.server !== 'mock') mem.loadMaxRssBytes = Math.max(mem.loadMaxRssBytes, m.rssMaxBytes);
              if (mem && s.server === 'mock') mem.loadMaxRssBytes = Math.max(mem.loadMaxRssBytes, m.rssMaxBytes);
              const r = m.result;
              log(
                `[${String(n).padStart(2)}/${total}] ${label.padEnd(34)} ${r.throughput.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50.toFixed(3)} p99 ${r.latency.p99.toFixed(3)} ms` +
                  `  cpu ${record.cpuUsPerRequest.toFixed(0)} µs/req` +
                  (m.cpuMs.redis !== undefined && s.server === 'switchyard-governed' && ok > 0 ? ` (+ redis ${((m.cpuMs.redis * 1000) / ok).toFixed(0)})` : '') +
                  (m.redisOps && ok > 0 ? `  redis per request: ${(m.redisOps.scripts / ok).toFixed(2)} script calls, ${(m.redisOps.reads / ok).toFixed(2)} socket reads` : '') +
                  `  rss ${(m.rssMaxBytes / 1048576).toFixed(0)} MB` +
                  (m.loop ? `  loop delay p99 ${m.loop.p99.toFixed(1)} max ${m.loop.max.toFixed(1)} ms` : '') +
                  `  host ${m.hostBusyCores.toFixed(2)} cores (foreign ${m.foreignCores.toFixed(2)})` +
                  (r.dropped ? `  dropped ${r.dropped}` : '') +
                  (r.errors ? `  ERRORS ${r.errors}: ${r.errorSamples.join(' | ')}` : ''),
              );
              if (r.errors > 0) failed = true;
              if (server.exited()) {
                log(`bench: ${server.name} exited during ${label}\n${server.logTail()}`);
                return 1;
              }
              await sleep(o.smoke ? 50 : 300);
            }
          }
        }
      }
      await sleep(o.smoke ? 500 : 3000);
      for (const [id, mem] of memory) mem.after = await memoryPoint(serverFor(servers, id)!);
    } finally {
      await lg.close();
      await stopServers(servers);
    }

    const baseGit = o.baselineRoot ? git(['-C', o.baselineRoot, 'rev-parse', '--short', 'HEAD']) : '';
    const summary = summarize({ records, scenarios, memory: [...memory.values()], rate: o.rate });
    const fmt = { concurrency: o.concurrency, rate: o.rate };
    const foreignMax = Math.max(0, ...records.map((r) => r.foreignCores));
    const header = [
      '',
      `Switchyard benchmark — ${date}, commit ${commit}${dirty ? ' (+ uncommitted src/)' : ''}`,
      `machine: ${machine.nproc} CPUs, ${machine.cpuModel}, ${machine.totalMemMb} MB, Linux ${machine.kernel}, Node ${machine.node}`,
      `switchyard: ${build ? 'built JS (tsc of the working tree)' : 'src via tsx'}${o.switchyardRoot !== ROOT ? ` from ${o.switchyardRoot}` : ''}` +
        `${o.baselineRoot ? `; baseline (…${BASE_SUFFIX} rows): ${baseBuild ? 'built JS' : 'src via tsx'} from ${o.baselineRoot}${baseGit ? ` at ${baseGit}` : ''}` : ''}` +
        `${o.switchyardNodeArgs.length ? `, node ${o.switchyardNodeArgs.join(' ')}` : ''}${Object.keys(o.switchyardEnv).length ? `, env ${Object.entries(o.switchyardEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}` +
        `${Object.keys(o.configExtra).length ? `, config + ${JSON.stringify(o.configExtra)}` : ''}${Object.keys(o.providerExtra).length ? `, providers + ${JSON.stringify(o.providerExtra)}` : ''}` +
        `; mock: ${o.mock}; client: closed loop c=1 and c=${o.concurrency}${o.rounds > 1 ? ` (in ${o.rounds} rounds, ratios are medians of per-round ratios)` : ""}, open loop ${o.rate}/s (latency from the scheduled send)`,
      `other load on the host during measured windows: up to ${foreignMax.toFixed(2)} cores`,
      '',
    ].join('\n');
    process.stdout.write(`${header}${formatText(summary, fmt)}\n`);

    const results = {
      schema: 'switchyard-bench/1',
      date: new Date().toISOString(),
      commit,
      dirty,
      machine,
      // Trees by treeName: a results file names no path of the machine it ran on.
      options: { ...o, switchyardRoot: treeName(o.switchyardRoot), ...(o.baselineRoot ? { baselineRoot: treeName(o.baselineRoot) } : {}), phases: phaseSpecs(o) },
      switchyard: build ? 'built' : 'tsx',
      foreignCoresMax: foreignMax,
      summary,
      records,
    };
    if (o.write) {
      const path = resultsPath(o, date, commit);
      writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
      log(`results: ${relative(ROOT, path)}`);
    }
    if (o.updateDocs) {
      updateDocs(
        [
          `Run of ${date}, commit \`${commit}\`${dirty ? ' (+ uncommitted src/)' : ''}; ${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}; ` +
            `other load on the host up to ${foreignMax.toFixed(2)} cores. Latencies in ms; "added" = minus direct-to-mock in the same phase.`,
          '',
          formatMarkdown(summary, fmt),
        ].join('\n'),
      );
    }
    if (failed) {
      log('\nbench: some requests failed (see ERRORS above)');
      return 1;
    }
    if (o.smoke) log('\nbench smoke: every server started and every request succeeded');
    return 0;
  } finally {
    build?.remove();
    baseBuild?.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
