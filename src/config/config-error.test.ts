import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatConfigPath, TOP_LEVEL_PATH } from './config-error.js';

describe('formatConfigPath', () => {
  it('writes paths as users read them', () => {
    assert.equal(formatConfigPath(['providers', 'anthropic', 'keys', 0, 'value']), 'providers.anthropic.keys[0].value');
    assert.equal(formatConfigPath(['models', 'review-model', 'targets', 1]), 'models.review-model.targets[1]');
    assert.equal(formatConfigPath(['server']), 'server');
  });

  it('quotes names that are not plain words', () => {
    assert.equal(formatConfigPath(['models', 'a/b']), 'models["a/b"]');
    assert.equal(formatConfigPath(['providers', 'eu.openai', 'type']), 'providers["eu.openai"].type');
    assert.equal(formatConfigPath(['models', 'has "quote"']), 'models["has \\"quote\\""]');
  });

  it('names the top level', () => {
    assert.equal(formatConfigPath([]), TOP_LEVEL_PATH);
  });
});

describe('ConfigError', () => {
  it('lists each problem on its own line as <path>: <message>, after a header', () => {
    const err = new ConfigError(
      [
        { path: 'server', message: 'unknown key "prot"; did you mean "port"?' },
        { path: 'server.port', message: 'expected a number, got string "80"' },
      ],
      { source: 'switchyard.yaml' },
    );
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ConfigError');
    assert.equal(err.source, 'switchyard.yaml');
    assert.equal(
      err.message,
      'Invalid configuration in switchyard.yaml (2 problems):\nserver: unknown key "prot"; did you mean "port"?\nserver.port: expected a number, got string "80"',
    );
    assert.deepEqual(err.problems, [
      { path: 'server', message: 'unknown key "prot"; did you mean "port"?' },
      { path: 'server.port', message: 'expected a number, got string "80"' },
    ]);
  });

  it('keeps one problem per line even if a message has newlines', () => {
    const err = new ConfigError([{ path: 'a', message: 'first\n  second' }]);
    assert.equal(err.message, 'Invalid configuration (1 problem):\na: first second');
  });

  it('copies the problems it is given', () => {
    const problems = [{ path: 'a', message: 'b' }];
    const err = new ConfigError(problems);
    problems[0]!.message = 'changed';
    assert.equal(err.problems[0]!.message, 'b');
  });
});
