import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.js';
import { loadConfigFileInWorker } from './load-config-in-worker.js';
import { loadConfigFile } from './load-config.js';

const KNOWN = ['openai', 'anthropic'];
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('loadConfigFileInWorker', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-config-worker-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the config loadConfigFile gives', async () => {
    const file = join(repoRoot, 'examples/switchyard.yaml');
    const opts = { env: {}, knownProviderTypes: KNOWN };
    assert.deepEqual(await loadConfigFileInWorker(file, opts), await loadConfigFile(file, opts));
  });

  it('resolves env references from the environment it is given', async () => {
    const file = join(dir, 'env.yaml');
    await writeFile(file, 'providers: { openai: { keys: [{ value: env.SY_WORKER_TEST_KEY }] } }\n');
    const config = await loadConfigFileInWorker(file, { env: { SY_WORKER_TEST_KEY: 'sk-from-env' }, knownProviderTypes: KNOWN });
    assert.deepEqual(config.providers.openai!.keys.map((k) => k.value), ['sk-from-env']);
  });

  it('rejects with the same ConfigError, every problem and the file named', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'server: { prot: 1 }\nproviders: { foo: { type: opnai } }\n');
    const opts = { env: {}, knownProviderTypes: KNOWN };
    const direct = await loadConfigFile(file, opts).then(
      () => assert.fail('expected a ConfigError'),
      (e: unknown) => e,
    );
    await assert.rejects(loadConfigFileInWorker(file, opts), (err: unknown) => {
      assert.ok(err instanceof ConfigError && direct instanceof ConfigError);
      assert.equal(err.message, direct.message);
      assert.deepEqual(err.problems, direct.problems);
      assert.equal(err.source, file);
      assert.match(err.message, /did you mean "port"\?/);
      return true;
    });
  });

  it('reports a file it cannot read as loadConfigFile does', async () => {
    const file = join(dir, 'missing.json');
    await assert.rejects(loadConfigFileInWorker(file, { env: {}, knownProviderTypes: KNOWN }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [{ path: file, message: 'cannot read the file: no such file (ENOENT); check the path' }]);
      return true;
    });
  });
});
