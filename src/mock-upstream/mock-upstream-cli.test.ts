import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { parseMockUpstreamArgs, runMockUpstreamCli } from './mock-upstream-cli.js';

test('parses --port, --host, repeated --fault and --fixtures', () => {
  assert.deepEqual(
    parseMockUpstreamArgs(['--port', '0', '--host=127.0.0.1', '--fault', 'status:429:retry-after=2', '--fault=latency:500', '--fixtures', '/tmp/f']),
    {
      help: false,
      options: {
        port: 0,
        host: '127.0.0.1',
        fixturesDir: '/tmp/f',
        faults: [{ fault: { kind: 'status', status: 429, retryAfterSeconds: 2 } }, { fault: { kind: 'latency', ms: 500 } }],
      },
    },
  );
  assert.throws(() => parseMockUpstreamArgs(['--port', 'x']), /--port/);
  assert.throws(() => parseMockUpstreamArgs(['--port']), /needs a value/);
  assert.throws(() => parseMockUpstreamArgs(['--bogus']), /unknown argument/);
  assert.throws(() => parseMockUpstreamArgs(['--fault', 'nope']), /unknown kind/);
});

test('--help prints the usage and returns', async () => {
  const out: string[] = [];
  await runMockUpstreamCli(['--help'], { out: (l) => out.push(l), err: () => {} });
  assert.match(out.join('\n'), /Usage: switchyard mock-upstream/);
});

test('prints its URL, serves with the given faults, stops when told', async () => {
  const ac = new AbortController();
  let announce!: (url: string) => void;
  const announced = new Promise<string>((resolve) => (announce = resolve));
  const notes: string[] = [];
  const running = runMockUpstreamCli(['--port', '0', '--fault', 'status:503:times=1:path=/v1/models'], {
    out: announce,
    err: (l) => notes.push(l),
    signal: ac.signal,
  });
  const url = await announced;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const first = await request(`${url}/v1/models`);
  assert.equal(first.statusCode, 503);
  await first.body.dump();
  const second = await request(`${url}/v1/models`);
  assert.equal(second.statusCode, 200);
  assert.equal(((await second.body.json()) as any).object, 'list');
  ac.abort();
  await running;
  assert.match(notes.join('\n'), /listening on/);
  // Stopped: the pooled connection was closed and no new one is accepted.
  await assert.rejects(request(`${url}/v1/models`));
});
