/** `switchyard mock-upstream`: the mock provider as a command, for demos and resilience drills. */
import { startMockUpstream } from './mock-upstream.js';
import type { FaultRule, MockUpstreamOptions } from './mock-upstream.js';
import { parseFaultSpec } from './parse-fault-spec.js';

export interface MockUpstreamCliIo {
  /** Where the URL line goes; default stdout. */
  out?: (line: string) => void;
  /** Where notes go; default stderr. */
  err?: (line: string) => void;
  /** Stops the server when aborted (besides SIGINT / SIGTERM). */
  signal?: AbortSignal;
}

export const MOCK_UPSTREAM_USAGE = `Usage: switchyard mock-upstream [--port N] [--host H] [--fault SPEC]... [--fixtures DIR]

Runs the mock upstream provider (OpenAI POST /v1/chat/completions, Anthropic POST /v1/messages,
GET /v1/models) and prints the URL it listens on. Stops on SIGINT / SIGTERM.

  --port N        port to listen on (default 0 = random)
  --host H        address to bind (default 127.0.0.1)
  --fault SPEC    a fault rule, repeatable, applied in order:
                    none | blackhole | reset | error-first-event | status:<code>[:retry-after=<s>][:retry-after-ms=<ms>]
                    | latency:<ms>[:jitter=<ms>] | cut-mid-stream[:<events>] | slow-drip:<intervalMs>
                    | json-for-stream | empty-body
                  any rule also takes :times=<n> and :path=</v1/...>
  --fixtures DIR  recordings for fixture:<folder>/<file-base> models (default $SWITCHYARD_FIXTURES_DIR
                  or ../shared/fixtures beside the project)`;

interface CliArgs {
  help: boolean;
  options: MockUpstreamOptions;
}

export function parseMockUpstreamArgs(argv: string[]): CliArgs {
  const options: MockUpstreamOptions = {};
  const faults: FaultRule[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const takeValue = (): string => {
      if (value !== undefined) return value;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--port': {
        const raw = takeValue();
        const port = Number(raw);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: invalid port "${raw}"`);
        options.port = port;
        break;
      }
      case '--host':
        options.host = takeValue();
        break;
      case '--fault':
        faults.push(parseFaultSpec(takeValue()));
        break;
      case '--fixtures':
        options.fixturesDir = takeValue();
        break;
      default:
        throw new Error(`unknown argument "${argv[i]}"\n\n${MOCK_UPSTREAM_USAGE}`);
    }
  }
  if (faults.length > 0) options.faults = faults;
  return { help, options };
}

/** `switchyard mock-upstream ...`: starts the server, prints its URL, resolves once stopped. */
export async function runMockUpstreamCli(argv: string[], io: MockUpstreamCliIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { help, options } = parseMockUpstreamArgs(argv);
  if (help) {
    out(MOCK_UPSTREAM_USAGE);
    return;
  }
  const mock = await startMockUpstream(options);
  out(mock.url);
  const faults = options.faults?.length ?? 0;
  err(`mock upstream listening on ${mock.url} (${faults === 0 ? 'no faults' : `${faults} fault rule${faults === 1 ? '' : 's'}`}); Ctrl-C to stop`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  await mock.close();
}
