/**
 * `npm run bench:soak` — Switchyard at a steady rate for a long time, looking for memory growth.
 *
 * The gateway runs as its own process (built from this tree, `switchyard start`, with
 * --expose-gc), the mock in another, the load generator in a third. Traffic is an open-loop
 * schedule at --rate, mixing non-stream and stream, same- and cross-dialect requests in turn.
 * Every --sample-seconds the gateway's RSS (/proc) and retained heap (process.memoryUsage after a
 * full GC, over IPC) are sampled. At the end a least-squares slope is fitted to the last two thirds
 * of the samples (the first third is warm-up: JIT, pools, caches); the run fails, loudly and with
 * a non-zero exit code, when either slope is above its limit, when requests fail, or when the
 * gateway dies.
 *
 *   npm run bench:soak                                  10 minutes at 300 req/s
 *   npm run bench:soak -- --minutes 30 --rate 500
 * Options: --minutes N (default 10)  --rate N (300)  --sample-seconds N (5)
 *          --max-heap-slope MB/min (0.5)  --max-rss-slope MB/min (1)  --tsx  --no-write  --out FILE
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSwitchyard } from './lib/build-switchyard.js';
import type { SwitchyardBuild } from './lib/build-switchyard.js';
import { startLoadGenerator } from './lib/load-client.js';
import type { LoadJob } from './lib/load-types.js';
import { machineInfo, readCpuMs, readRssBytes } from './lib/proc-stats.js';
import { allScenarios, CONTENT_MARKER } from './lib/scenarios.js';
import { ROOT, startServers, stopServers } from './lib/start-servers.js';
import type { Servers } from './lib/start-servers.js';

interface Options {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  maxHeapSlope: number;
  maxRssSlope: number;
  tsx: boolean;
  write: boolean;
  out?: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { minutes: 10, rate: 300, sampleSeconds: 5, maxHeapSlope: 0.5, maxRssSlope: 1, tsx: false, write: true };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const key = eq > 0 ? raw.slice(0, eq) : raw;
    const num = () => {
      const v = Number(eq > 0 ? raw.slice(eq + 1) : argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${key}: expected a positive number`);
      return v;
    };
    switch (key) {
      case '--minutes':
        o.minutes = Math.min(num(), 24 * 60);
        break;
      case '--rate':
        o.rate = Math.min(num(), 20_000);
        break;
      case '--sample-seconds':
        o.sampleSeconds = num();
        break;
      case '--max-heap-slope':
        o.maxHeapSlope = num();
        break;
      case '--max-rss-slope':
        o.maxRssSlope = num();
        break;
      case '--tsx':
        o.tsx = true;
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--out':
        o.out = eq > 0 ? raw.slice(eq + 1) : argv[++i];
        break;
      default:
        throw new Error(`unknown option ${raw}`);
    }
  }
  return o;
}

interface Sample {
  /** Minutes since the load started. */
  t: number;
  rssMb: number;
  heapUsedMb?: number;
  heapTotalMb?: number;
  externalMb?: number;
  cpuMs?: number;
}

/** Least-squares slope of y over x (per unit of x), and the fit's y at the first and last x. */
export function linearFit(points: Array<[number, number]>): { slope: number; start: number; end: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, start: points[0]?.[1] ?? 0, end: points[0]?.[1] ?? 0 };
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const at = (x: number) => my + slope * (x - mx);
  return { slope, start: at(points[0]![0]), end: at(points[n - 1]![0]) };
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const MB = 1024 * 1024;

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const machine = machineInfo();
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  })();
  log(`switchyard soak: ${o.minutes} min at ${o.rate} req/s (half of them streams), sampling every ${o.sampleSeconds} s; ${machine.nproc} CPUs, Node ${machine.node}, commit ${commit}`);

  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
  let build: SwitchyardBuild | undefined;
  if (!o.tsx) {
    try {
      build = await buildSwitchyard(ROOT);
    } catch (e) {
      log(`${(e as Error).message}\nfalling back to src/cli.ts under tsx`);
    }
  }
  let servers: Servers | undefined;
  const lg = await startLoadGenerator();
  const samples: Sample[] = [];
  let errors = 0;
  let ok = 0;
  const errorSamples = new Set<string>();
  let died = false;
  try {
    servers = await startServers({
      mock: 'fast',
      needed: new Set(['switchyard']),
      ...(build ? { build } : {}),
      workDir,
      nodeArgs: { switchyard: ['--expose-gc'] },
      log,
    });
    const sw = servers.switchyard!;
    const scenarios = allScenarios(servers.mock.url).filter((s) => s.id === 'switchyard' || s.id === 'switchyard-cross');
    // json same, stream same, json cross, stream cross, in turn.
    const variants = scenarios.flatMap((s) => [false, true].map((stream) => ({ path: s.path, headers: s.headers, body: s.body(stream) })));
    const startedAt = performance.now();
    const endAt = startedAt + o.minutes * 60_000;

    const sample = async () => {
      const m = await sw.memory({ gc: true, timeoutMs: 5_000 });
      const rss = readRssBytes(sw.pid);
      if (rss === undefined) return;
      const s: Sample = { t: (performance.now() - startedAt) / 60_000, rssMb: rss / MB };
      if (m) {
        s.heapUsedMb = m.heapUsed / MB;
        s.heapTotalMb = m.heapTotal / MB;
        s.externalMb = m.external / MB;
      }
      const cpu = readCpuMs(sw.pid);
      if (cpu !== undefined) s.cpuMs = cpu;
      samples.push(s);
    };
    await sample();
    const sampler = setInterval(() => void sample(), o.sampleSeconds * 1000);

    // The load in chunks of up to 30 s (bounded sample buffers, progress lines), back to back.
    try {
      while (performance.now() < endAt - 500 && !sw.exited()) {
        const chunkMs = Math.min(30_000, endAt - performance.now());
        const job: LoadJob = {
          label: 'soak',
          origin: sw.url,
          path: variants[0]!.path,
          headers: variants[0]!.headers,
          body: variants[0]!.body,
          stream: false,
          variants,
          marker: CONTENT_MARKER,
          mode: 'open',
          concurrency: 64,
          rate: o.rate,
          warmupMs: 0,
          durationMs: chunkMs,
          maxRequests: Math.ceil((chunkMs / 1000) * o.rate) + 10,
          maxInFlight: 2_000,
          timeoutMs: 30_000,
        };
        const r = await lg.run(job);
        ok += r.ok;
        errors += r.errors + r.dropped;
        for (const e of r.errorSamples) if (errorSamples.size < 10) errorSamples.add(e);
        const last = samples[samples.length - 1];
        log(
          `${((performance.now() - startedAt) / 60_000).toFixed(1).padStart(5)} min  ${r.throughput.toFixed(0)} req/s  p50 ${r.latency.p50.toFixed(2)} p99 ${r.latency.p99.toFixed(2)} ms  ` +
            `rss ${last?.rssMb.toFixed(1)} MB  heap ${last?.heapUsedMb?.toFixed(1) ?? '?'} MB  errors ${r.errors}${r.dropped ? ` dropped ${r.dropped}` : ''}`,
        );
      }
    } finally {
      clearInterval(sampler);
    }
    died = sw.exited();
    if (died) log(`\n*** switchyard exited during the soak ***\n${sw.logTail()}`);
    else await sample();
  } finally {
    await lg.close();
    if (servers) await stopServers(servers);
    build?.remove();
    rmSync(workDir, { recursive: true, force: true });
  }

  const tail = samples.slice(Math.floor(samples.length / 3));
  const rssFit = linearFit(tail.map((s) => [s.t, s.rssMb]));
  const heapPoints = tail.filter((s) => s.heapUsedMb !== undefined).map((s): [number, number] => [s.t, s.heapUsedMb!]);
  const heapFit = linearFit(heapPoints);
  const rssGrowing = tail.length >= 4 && rssFit.slope > o.maxRssSlope;
  const heapGrowing = heapPoints.length >= 4 && heapFit.slope > o.maxHeapSlope;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const cpuPerReq = first?.cpuMs !== undefined && last?.cpuMs !== undefined && ok > 0 ? ((last.cpuMs - first.cpuMs) * 1000) / ok : undefined;

  const lines = [
    '',
    `Soak: ${o.minutes} min at ${o.rate} req/s, ${ok} requests ok, ${errors} failed${cpuPerReq !== undefined ? `, ${cpuPerReq.toFixed(0)} µs CPU per request` : ''}`,
    `RSS:  start ${first?.rssMb.toFixed(1)} MB, end ${last?.rssMb.toFixed(1)} MB, max ${Math.max(...samples.map((s) => s.rssMb)).toFixed(1)} MB; slope over the last 2/3: ${rssFit.slope.toFixed(3)} MB/min (limit ${o.maxRssSlope})`,
    `heap (after full GC): start ${first?.heapUsedMb?.toFixed(1)} MB, end ${last?.heapUsedMb?.toFixed(1)} MB; slope over the last 2/3: ${heapFit.slope.toFixed(3)} MB/min (limit ${o.maxHeapSlope})`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (errorSamples.size) log(`errors: ${[...errorSamples].join(' | ')}`);

  if (o.write) {
    const date = new Date().toISOString().slice(0, 10);
    const path = o.out ?? join(ROOT, 'bench', 'results', `${date}-${commit || 'nogit'}-soak.json`);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({ schema: 'switchyard-soak/1', date: new Date().toISOString(), commit, machine, options: o, ok, errors, errorSamples: [...errorSamples], cpuUsPerRequest: cpuPerReq, rssSlopeMbPerMin: rssFit.slope, heapSlopeMbPerMin: heapFit.slope, samples }, null, 2) + '\n',
    );
    log(`results: ${relative(ROOT, path)}`);
  }

  const problems: string[] = [];
  if (died) problems.push('the gateway process died');
  if (errors > 0) problems.push(`${errors} requests failed or were dropped`);
  if (rssGrowing) problems.push(`RSS grows ${rssFit.slope.toFixed(2)} MB/min (limit ${o.maxRssSlope})`);
  if (heapGrowing) problems.push(`retained heap grows ${heapFit.slope.toFixed(2)} MB/min (limit ${o.maxHeapSlope})`);
  if (problems.length) {
    process.stderr.write(`\n${'!'.repeat(72)}\nSOAK FAILED: ${problems.join('; ')}\n${'!'.repeat(72)}\n`);
    return 1;
  }
  process.stdout.write('soak: no memory growth detected\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
