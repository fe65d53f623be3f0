/** The command-line options of `npm run bench` (see run-bench.ts for what they do). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SCENARIOS } from './scenarios.js';
import type { Mode } from './scenarios.js';
import { ROOT } from './start-servers.js';

export interface Options {
  smoke: boolean;
  quick: boolean;
  profile: boolean;
  profileSeconds: number;
  profileServer: 'switchyard' | 'switchyard-governed' | 'bare' | 'portkey';
  concurrency: number;
  rate: number;
  /**
   * The closed-loop throughput phase as this many shorter windows, round robin over the scenarios
   * (default 6 in a full run, 4 with --quick, 1 with --smoke; even, see roundOrder in scenarios.ts).
   */
  rounds: number;
  scenarios: string[];
  modes: Mode[];
  mock: 'fast' | 'project';
  tsx: boolean;
  /** Build and run Switchyard from this tree instead (a scratch copy with a change to measure). */
  switchyardRoot: string;
  /** Also run Switchyard built from this tree, each Switchyard scenario's twin beside it (before/after in one run). */
  baselineRoot?: string;
  switchyardNodeArgs: string[];
  switchyardEnv: Record<string, string>;
  portkey: boolean;
  configExtra: Record<string, unknown>;
  providerExtra: Record<string, unknown>;
  out?: string;
  write: boolean;
  updateDocs: boolean;
}

export function parseOptions(argv: string[]): Options {
  const o: Options = {
    smoke: false,
    quick: false,
    profile: false,
    profileSeconds: 15,
    profileServer: 'switchyard',
    concurrency: 32,
    rate: 1000,
    rounds: 0,
    scenarios: DEFAULT_SCENARIOS,
    modes: ['json', 'stream'],
    mock: 'fast',
    tsx: false,
    switchyardRoot: ROOT,
    switchyardNodeArgs: [],
    switchyardEnv: {},
    portkey: true,
    configExtra: {},
    providerExtra: {},
    write: true,
    updateDocs: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const key = eq > 0 ? raw.slice(0, eq) : raw;
    const value = () => {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`${key} needs a value`);
      return v;
    };
    const int = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${key}: expected a positive integer`);
      return n;
    };
    switch (key) {
      case '--smoke':
        o.smoke = true;
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--profile-seconds':
        o.profileSeconds = int();
        break;
      case '--profile-server': {
        const v = value();
        if (v !== 'switchyard' && v !== 'switchyard-governed' && v !== 'bare' && v !== 'portkey') throw new Error('--profile-server: switchyard, switchyard-governed, bare or portkey');
        o.profileServer = v;
        o.profile = true;
        break;
      }
      case '--concurrency':
        o.concurrency = int();
        break;
      case '--rate':
        o.rate = int();
        break;
      case '--rounds':
        o.rounds = int();
        break;
      case '--scenarios':
        o.scenarios = value().split(',').filter(Boolean);
        break;
      case '--modes':
        o.modes = value().split(',').filter((m): m is Mode => m === 'json' || m === 'stream');
        if (o.modes.length === 0) throw new Error('--modes: json and/or stream');
        break;
      case '--mock': {
        const v = value();
        if (v !== 'fast' && v !== 'project') throw new Error('--mock: fast or project');
        o.mock = v;
        break;
      }
      case '--tsx':
        o.tsx = true;
        break;
      case '--switchyard-root':
        o.switchyardRoot = resolve(value());
        break;
      case '--baseline-root':
        o.baselineRoot = resolve(value());
        break;
      case '--switchyard-node-args':
        o.switchyardNodeArgs = value().split(/\s+/).filter(Boolean);
        break;
      case '--switchyard-env':
        for (const kv of value().split(',').filter(Boolean)) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new Error(`--switchyard-env: expected NAME=value[,NAME=value], got "${kv}"`);
          o.switchyardEnv[kv.slice(0, i)] = kv.slice(i + 1);
        }
        break;
      case '--no-portkey':
        o.portkey = false;
        break;
      case '--config-extra':
        o.configExtra = JSON.parse(value()) as Record<string, unknown>;
        break;
      case '--provider-extra':
        o.providerExtra = JSON.parse(value()) as Record<string, unknown>;
        break;
      case '--out':
        o.out = value();
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--update-docs':
        o.updateDocs = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(readFileSync(join(ROOT, 'bench', 'run-bench.ts'), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '') + '\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${raw} (see --help)`);
    }
  }
  if (o.rounds === 0) o.rounds = o.smoke ? 1 : o.quick ? 4 : 6;
  if (o.smoke) {
    o.concurrency = Math.min(o.concurrency, 4);
    o.rate = Math.min(o.rate, 100);
    o.write = o.out !== undefined;
  }
  return o;
}

