/**
 * The drill at the network level: the primary provider lives on its own test host (a network
 * namespace behind a veth pair); after a healthy warm-up call its path starts losing every packet
 * — `tc netem loss 100%` where the kernel has netem, else an nftables drop rule in the namespace,
 * which loses packets the same way. Established keep-alive connections and new ones both go dark,
 * and the bot must still be answered by the fallback inside the bound. Needs root, iproute2 and
 * netem or nftables (CI has them); skips with the reason otherwise, and fails for a missing tool
 * when CI=true.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startMockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import type { MockUpstream } from '../../src/mock-upstream/mock-upstream.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';
import { buildConfig } from '../helpers/stack.js';
import { hasCommand, netnsUnavailable, run } from '../helpers/netns.js';

const FIRST_BYTE_MS = 2000;
const CONNECT_MS = 1000;
const BOUND_MS = 2 * Math.max(FIRST_BYTE_MS, CONNECT_MS) + 200 + 1500;

const id = process.pid % 200;
const NS = `sydrill${process.pid}`;
const HOST_IF = `syh${process.pid}`.slice(0, 15);
const NS_IF = `syn${process.pid}`.slice(0, 15);
const HOST_IP = `10.250.${id}.1`;
const NS_IP = `10.250.${id}.2`;
const PORT = 9000;

/**
 * How this machine can make the primary's path lose every packet: netem where the kernel has it
 * (probed on a dummy link inside the namespace), else an nftables drop. Undefined when neither.
 */
function lossAvailable(): 'netem' | 'nft' | undefined {
  if (hasCommand('tc')) {
    try {
      run('ip', ['netns', 'exec', NS, 'ip', 'link', 'add', 'syprobe', 'type', 'dummy']);
      run('ip', ['netns', 'exec', NS, 'tc', 'qdisc', 'add', 'dev', 'syprobe', 'root', 'netem', 'loss', '100%']);
      return 'netem';
    } catch {
      /* no netem in this kernel (or no dummy links): nftables then */
    } finally {
      try {
        run('ip', ['netns', 'exec', NS, 'ip', 'link', 'del', 'syprobe']);
      } catch {
        /* never made */
      }
    }
  }
  return hasCommand('nft') ? 'nft' : undefined;
}

let reason = netnsUnavailable(NS);
const loss = reason ? undefined : lossAvailable();
if (!reason && !loss) {
  run('ip', ['netns', 'del', NS]);
  reason = 'needs tc with netem, or nftables (nft), to drop packets';
}
// In CI every tool is installed (.ci/run): a missing one is a failure there, not a skip.
if (reason && process.env.CI === 'true') throw new Error(`network-level drill cannot run in CI: ${reason}`);
let lossMethod = '';
let child: ChildProcess | undefined;
let gw: RunningGateway | undefined;
let fallback: MockUpstream | undefined;

after(async () => {
  await gw?.close();
  await fallback?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  if (!reason) {
    try {
      run('ip', ['link', 'del', HOST_IF]);
    } catch {
      /* gone with the namespace */
    }
    run('ip', ['netns', 'del', NS]);
  }
});

function startLoss(): string {
  if (loss === 'netem') {
    run('tc', ['qdisc', 'add', 'dev', HOST_IF, 'root', 'netem', 'loss', '100%']);
    return 'tc netem loss 100%';
  }
  run('ip', ['netns', 'exec', NS, 'nft', 'add', 'table', 'inet', 'drill']);
  run('ip', ['netns', 'exec', NS, 'nft', 'add', 'chain', 'inet', 'drill', 'input', '{ type filter hook input priority 0; policy accept; }']);
  run('ip', ['netns', 'exec', NS, 'nft', 'add', 'rule', 'inet', 'drill', 'input', 'tcp', 'dport', String(PORT), 'drop']);
  return 'nftables drop of every packet to the provider';
}

test('network-level drill: the primary’s path loses every packet; the bot is answered by the fallback', { skip: reason ? `skipped: ${reason}` : false }, async (t) => {
  run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF]);
  run('ip', ['link', 'set', NS_IF, 'netns', NS]);
  run('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
  run('ip', ['link', 'set', HOST_IF, 'up']);
  run('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF]);
  run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up']);
  run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);

  // The primary: the project's mock upstream, running on the test host inside the namespace.
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', cli, 'mock-upstream', '--host', NS_IP, '--port', String(PORT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.match(line.toString(), new RegExp(`http://${NS_IP.replace(/\./g, '\\.')}:${PORT}`));

  fallback = await startMockUpstream();
  const provider = (type: string, url: string) => ({
    type,
    base_url: url,
    keys: [{ value: 'k' }],
    timeouts: { connect_ms: CONNECT_MS, first_byte_ms: FIRST_BYTE_MS, idle_ms: 2000 },
    retries: { max: 1, backoff_initial_ms: 100, backoff_max_ms: 200 },
  });
  gw = await startGateway({
    config: buildConfig({
      server: { host: '127.0.0.1', port: 0 },
      providers: { anthropic: provider('anthropic', `http://${NS_IP}:${PORT}`), openai: provider('openai', `${fallback.url}/v1`) },
      models: { 'review-model': { targets: ['anthropic/claude-sonnet-4-6', 'openai/gpt-4o-mini'] } },
      logging: { level: 'silent' },
    }),
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
  });
  const bot = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'bot', timeout: 30_000, maxRetries: 0 });
  const review = { model: 'review-model', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Review this diff' }] };

  // Healthy path first: the primary answers, and a keep-alive connection to it stays open.
  const warm = await bot.messages.create(review).withResponse();
  assert.equal(warm.response.headers.get('x-switchyard-provider'), 'anthropic');

  lossMethod = startLoss();
  t.diagnostic(`packet loss by ${lossMethod}`);
  const calls = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const t0 = performance.now();
      const { data, response } = await bot.messages.create(review).withResponse();
      return { data, response, ms: performance.now() - t0 };
    }),
  );
  for (const c of calls) {
    assert.equal((c.data.content[0] as Anthropic.TextBlock).text, 'mock reply to: Review this diff');
    assert.equal(c.response.headers.get('x-switchyard-provider'), 'openai');
    assert.ok(c.ms < BOUND_MS, `answered in ${Math.round(c.ms)} ms, bound ${BOUND_MS} ms`);
  }
});
