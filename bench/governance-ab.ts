/**
 * Governance on vs off, measured so that a shared, noisy host hits both alike: three Switchyard
 * processes built from one tree — governance off, governance on with its counters in Redis (started
 * here on a free loopback port), and governance on with memory counters — answer the same closed
 * loop in short blocks, one after the other, for several rounds. Each round gives an on:off
 * throughput ratio and an added p50; the medians over the rounds are reported.
 *
 *   node --import tsx bench/governance-ab.ts                 json and stream, c=1 and c=32, 8 rounds
 *   node --import tsx bench/governance-ab.ts --modes json --concurrency 32 --rounds 12
 *   node --import tsx bench/governance-ab.ts --switchyard-root DIR   (a scratch copy: before/after)
 *
 * The virtual key and its limits (all far from reached) are governedConfigExtra's, as in the
 * `switchyard-governed` scenario of `npm run bench`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSwitchyard } from './lib/build-switchyard.js';
import { SERVER_PROBE, startServer } from './lib/child-server.js';
import type { ServerProcess } from './lib/child-server.js';
import { startLoadGenerator } from './lib/load-client.js';
import { median } from './lib/percentiles.js';
import { allScenarios, CONTENT_MARKER } from './lib/scenarios.js';
import type { Mode } from './lib/scenarios.js';
import { ROOT, startServers, stopServers } from './lib/start-servers.js';
import { configKeysOf, governedConfigExtra, switchyardBenchConfig } from './lib/switchyard-config.js';

interface Options {
  root: string;
  modes: Mode[];
  concurrency: number[];
  rounds: number;
}

function parse(argv: string[]): Options {
  const o: Options = { root: ROOT, modes: ['json', 'stream'], concurrency: [1, 32], rounds: 8 };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (key === '--switchyard-root') o.root = resolve(value());
    else if (key === '--modes') o.modes = value().split(',').filter((m): m is Mode => m === 'json' || m === 'stream');
    else if (key === '--concurrency') o.concurrency = value().split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    else if (key === '--rounds') o.rounds = Math.max(1, Number(value()) || 8);
    else throw new Error(`unknown option ${key}; see the comment at the top of bench/governance-ab.ts`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-governance-ab-'));
  log('building Switchyard (tsc -> .tmp/) ...');
  const build = await buildSwitchyard(o.root);
  const servers = await startServers({ mock: 'fast', needed: new Set(['switchyard', 'switchyard-governed']), build, workDir, log });
  let memory: ServerProcess | undefined;
  const lg = await startLoadGenerator();
  try {
    const knownKeys = await configKeysOf(join(build.dir, 'dist', 'config', 'schema.js'));
    const memoryConfig = switchyardBenchConfig({
      mockUrl: servers.mock.url,
      workDir,
      knownKeys,
      extra: { ...governedConfigExtra('redis://unused'), governance: { enabled: true, counters: { type: 'memory' } } },
    });
    writeFileSync(join(workDir, 'governed-memory.json'), JSON.stringify(memoryConfig, null, 2));
    memory = await startServer({ name: 'governed-memory', args: ['--import', SERVER_PROBE, build.cli, 'start', '--config', join(workDir, 'governed-memory.json')], ready: /listening on (http:\/\/\S+)/, cwd: workDir });
    const scenarios = allScenarios(servers.mock.url);
    const off = scenarios.find((s) => s.id === 'switchyard')!;
    const governed = scenarios.find((s) => s.id === 'switchyard-governed')!;
    const variants = [
      { name: 'off', scenario: off, url: servers.switchyard!.url },
      { name: 'on, Redis', scenario: governed, url: servers['switchyard-governed']!.url },
      { name: 'on, memory', scenario: governed, url: memory.url },
    ];
    const lines: string[] = [];
    for (const mode of o.modes) {
      for (const c of o.concurrency) {
        const tp = new Map<string, number[]>(variants.map((v) => [v.name, []]));
        const p50 = new Map<string, number[]>(variants.map((v) => [v.name, []]));
        for (let round = 0; round < o.rounds; round++) {
          for (const v of variants) {
            const r = await lg.run({
              label: `${v.name} ${mode} c=${c}`,
              origin: v.url,
              path: v.scenario.path,
              headers: v.scenario.headers,
              body: v.scenario.body(mode === 'stream'),
              stream: mode === 'stream',
              marker: CONTENT_MARKER,
              mode: 'closed',
              concurrency: c,
              warmupMs: c > 1 ? 500 : 200,
              durationMs: c > 1 ? 2000 : 1000,
              maxRequests: 1_000_000,
              maxInFlight: 2_000,
              timeoutMs: 30_000,
            });
            if (r.errors > 0) throw new Error(`${v.name} ${mode}: ${r.errors} errors: ${r.errorSamples.join(' | ')}`);
            tp.get(v.name)!.push(r.throughput);
            p50.get(v.name)!.push(r.latency.p50);
          }
          log(`${mode} c=${c} round ${round + 1}/${o.rounds}: ${variants.map((v) => `${v.name} ${tp.get(v.name)!.at(-1)!.toFixed(0)} req/s p50 ${p50.get(v.name)!.at(-1)!.toFixed(3)} ms`).join(', ')}`);
        }
        const offTp = tp.get('off')!;
        const offP50 = p50.get('off')!;
        for (const v of variants.slice(1)) {
          const ratios = tp.get(v.name)!.map((x, i) => x / offTp[i]!);
          const added = p50.get(v.name)!.map((x, i) => (x - offP50[i]!) * 1000);
          lines.push(
            `${mode.padEnd(6)} c=${String(c).padEnd(3)} ${v.name.padEnd(11)} throughput on:off median ${(median(ratios) * 100).toFixed(0)} % (rounds ${Math.round(Math.min(...ratios) * 100)}–${Math.round(Math.max(...ratios) * 100)} %)` +
              `  added p50 median ${median(added).toFixed(0)} µs (off p50 ${median(offP50).toFixed(3)} ms)`,
          );
        }
      }
    }
    process.stdout.write(`\ngovernance on vs off, ${o.rounds} interleaved rounds per row (medians of per-round figures)\n${lines.join('\n')}\n`);
  } finally {
    await lg.close();
    await memory?.stop();
    await stopServers(servers);
    build.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`governance-ab: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
