/**
 * What each request leaves for the garbage collector, per source tree: Switchyard built from each
 * tree runs with V8's `--trace-gc-nvp` under the same closed loop (c=32, 3 s blocks, rounds
 * alternating between the trees), and the scavenges' own figures give, per request, the bytes that
 * survived a scavenge (were still reachable when the young generation was collected), the bytes
 * promoted to the old generation, and GC pause time. Survived bytes per request move much less with
 * the host's speed than throughput does (within one run, the rounds of a tree agree within about
 * 1 KB; between runs a tree moved by up to 4 KB, so compare trees in the same run), so this finds
 * where a tree started keeping more alive — the GC cost that CPU profiles only show as "(garbage
 * collector)".
 *
 *   node --import tsx bench/gc-survivors.ts <tree> [<tree> ...]        stream, 3 rounds
 *   node --import tsx bench/gc-survivors.ts --modes json --rounds 5 --node-args '--max-semi-space-size=32' <trees>
 *   node --import tsx bench/gc-survivors.ts --config-extra '{"metrics":{"enabled":false}}' <trees>   (merged over the bench config's top level)
 *   node --import tsx bench/gc-survivors.ts --concurrency 4 <trees>     (default 32: does what survives scale with what is in flight?)
 *   node --import tsx bench/gc-survivors.ts --scenario switchyard-cache-miss <trees>   (any scenario of bench/lib/scenarios.ts)
 *
 * A tree is a source checkout with node_modules (a git worktree of an older commit may link this
 * checkout's node_modules when its dependencies are the same).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildSwitchyard } from './lib/build-switchyard.js';
import type { ServerProcess } from './lib/child-server.js';
import { startLoadGenerator } from './lib/load-client.js';
import { median } from './lib/percentiles.js';
import { allScenarios, CONTENT_MARKER } from './lib/scenarios.js';
import type { Mode } from './lib/scenarios.js';
import { startServers, startSwitchyardProcess, stopServers } from './lib/start-servers.js';

interface Options {
  trees: string[];
  modes: Mode[];
  rounds: number;
  nodeArgs: string[];
  configExtra?: Record<string, unknown>;
  concurrency: number;
  scenario: string;
}

function parse(argv: string[]): Options {
  const o: Options = { trees: [], modes: ['stream'], rounds: 3, nodeArgs: [], concurrency: 32, scenario: 'switchyard' };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (key === '--modes') o.modes = value().split(',').filter((m): m is Mode => m === 'json' || m === 'stream');
    else if (key === '--rounds') o.rounds = Math.max(1, Number(value()) || 3);
    else if (key === '--node-args') o.nodeArgs = value().split(' ').filter(Boolean);
    else if (key === '--scenario') o.scenario = value();
    else if (key === '--concurrency') o.concurrency = Math.max(1, Number(value()) || 32);
    else if (key === '--config-extra') o.configExtra = JSON.parse(value()) as Record<string, unknown>;
    else if (key.startsWith('--')) throw new Error(`unknown option ${key}; see the comment at the top of bench/gc-survivors.ts`);
    else o.trees.push(resolve(key));
  }
  if (o.trees.length === 0) throw new Error('name at least one source tree');
  return o;
}

interface GcTotals {
  scavenges: number;
  survived: number;
  promoted: number;
  pauseMs: number;
  majors: number;
}

/** One GC line's fields: `key=value` pairs (Node 20's V8) or a JSON object after `GC: ` (Node 26's). */
function gcFields(line: string): Map<string, string> | undefined {
  const json = line.indexOf('GC: {');
  if (json >= 0) {
    try {
      return new Map(Object.entries(JSON.parse(line.slice(json + 4)) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    } catch {
      return undefined;
    }
  }
  if (!line.includes(' gc=')) return undefined;
  return new Map([...line.matchAll(/(\S+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** Sums the scavenges' and full GCs' lines of a `--trace-gc-nvp` log. */
function totals(log: string): GcTotals {
  const t: GcTotals = { scavenges: 0, survived: 0, promoted: 0, pauseMs: 0, majors: 0 };
  for (const line of log.split('\n')) {
    const f = gcFields(line);
    const gc = f?.get('gc');
    if (!f || !gc) continue;
    if (gc === 's') {
      t.scavenges++;
      t.survived += Number(f.get('new_space_survived') ?? 0);
      t.promoted += Number(f.get('promoted') ?? 0);
      t.pauseMs += Number(f.get('pause') ?? 0);
    } else if (gc === 'mc' || gc === 'ms') {
      t.majors++;
      t.pauseMs += Number(f.get('pause') ?? 0);
    }
  }
  return t;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-gc-survivors-'));
  const names = o.trees.map((t, i) => `${i + 1}:${basename(t)}`);
  log(`building ${o.trees.length} trees ...`);
  const builds = await Promise.all(o.trees.map((t) => buildSwitchyard(t)));
  const servers = await startServers({ mock: 'fast', needed: new Set(), workDir, log });
  const lg = await startLoadGenerator();
  const procs: Array<{ name: string; server: ServerProcess; logFile: string }> = [];
  try {
    for (const [i, build] of builds.entries()) {
      const id = `tree${i + 1}`;
      const server = await startSwitchyardProcess({ id, build, mockUrl: servers.mock.url, workDir, log, nodeArgs: { [id]: ['--trace-gc-nvp', ...o.nodeArgs] }, ...(o.configExtra ? { extra: o.configExtra } : {}), cachedAlias: true });
      const logFile = join(workDir, `${id}.gc.log`);
      server.child.stdout!.pipe(createWriteStream(logFile));
      procs.push({ name: names[i]!, server, logFile });
    }
    const scenario = allScenarios(servers.mock.url).find((s) => s.id === o.scenario);
    if (!scenario) throw new Error(`no scenario ${o.scenario} (see bench/lib/scenarios.ts)`);
    const lines: string[] = [];
    for (const mode of o.modes) {
      const per = new Map<string, { survived: number[]; promoted: number[]; pauseUs: number[]; majors: number[] }>(procs.map((p) => [p.name, { survived: [], promoted: [], pauseUs: [], majors: [] }]));
      for (let round = 0; round < o.rounds; round++) {
        for (const p of round % 2 ? [...procs].reverse() : procs) {
          let at = totals('');
          const r = await lg.run(
            {
              label: `${p.name} ${mode}`,
              origin: p.server.url,
              path: scenario.path,
              headers: scenario.headers,
              body: scenario.body(mode === 'stream'),
              ...(scenario.uniqueToken ? { uniqueToken: scenario.uniqueToken } : {}),
              stream: mode === 'stream',
              marker: CONTENT_MARKER,
              mode: 'closed',
              concurrency: o.concurrency,
              warmupMs: 300,
              durationMs: 3000,
              maxRequests: 1_000_000,
              maxInFlight: 2_000,
              timeoutMs: 30_000,
            },
            (phase) => {
              if (phase === 'measure') at = totals(readFileSync(p.logFile, 'utf8'));
            },
          );
          if (r.errors > 0) throw new Error(`${p.name} ${mode}: ${r.errors} errors: ${r.errorSamples.join(' | ')}`);
          const ok = r.ok;
          // The GC log is written by the child through a pipe: let the window's last lines arrive.
          await new Promise((res) => setTimeout(res, 200));
          const end = totals(readFileSync(p.logFile, 'utf8'));
          const s = per.get(p.name)!;
          s.survived.push((end.survived - at.survived) / ok);
          s.promoted.push((end.promoted - at.promoted) / ok);
          s.pauseUs.push(((end.pauseMs - at.pauseMs) * 1000) / ok);
          s.majors.push(end.majors - at.majors);
        }
        log(`${mode} round ${round + 1}/${o.rounds}: ${procs.map((p) => `${p.name} ${(per.get(p.name)!.survived.at(-1)! / 1000).toFixed(1)} KB/req`).join(', ')}`);
      }
      for (const p of procs) {
        const s = per.get(p.name)!;
        lines.push(
          `${mode.padEnd(6)} ${p.name.padEnd(24)} survived ${(median(s.survived) / 1000).toFixed(1)} KB/req, promoted ${(median(s.promoted) / 1000).toFixed(1)} KB/req, GC pause ${median(s.pauseUs).toFixed(0)} µs/req, full GCs ${median(s.majors)} per window`,
        );
      }
    }
    process.stdout.write(`\nper request at c=${o.concurrency}, medians of ${o.rounds} rounds (the window's requests; scavenges from --trace-gc-nvp)\n${lines.join('\n')}\n`);
  } finally {
    await lg.close();
    for (const p of procs) await p.server.stop();
    await stopServers(servers);
    for (const b of builds) b.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`gc-survivors: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
