import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposedToolName, globMatcher, toolFilter } from './mcp-tool-names.js';
import { redactSecrets } from './mcp-connections.js';

test('tool names are <server>__<tool>, valid for every provider, stable and distinct', () => {
  assert.equal(exposedToolName('docs', 'search'), 'docs__search');
  const dotted = exposedToolName('docs', 'pages.get');
  assert.match(dotted, /^docs__pages_get_[0-9a-f]{8}$/);
  assert.equal(exposedToolName('docs', 'pages.get'), dotted);
  assert.notEqual(exposedToolName('docs', 'pages/get'), dotted);
  const long = exposedToolName('docs', 'x'.repeat(100));
  assert.ok(long.length <= 64 && /^[a-zA-Z0-9_-]+$/.test(long));
});

test('globs: * is the only wildcard; allow then deny', () => {
  assert.equal(globMatcher(['docs__*'])('docs__search'), true);
  assert.equal(globMatcher(['docs__*'])('tracker__search'), false);
  assert.equal(globMatcher(['a.b'])('axb'), false);
  assert.equal(globMatcher([])('x'), false);
  const f = toolFilter({ allow: ['search*', 'delete*'], deny: ['delete*'] });
  assert.deepEqual(['search', 'search_all', 'delete_page', 'fetch'].filter(f), ['search', 'search_all']);
  assert.equal(toolFilter({ deny: [] })('anything'), true);
});

test('credential values are removed from text shown to models and clients', () => {
  assert.equal(redactSecrets('token=abc123secret and abc123secret', ['abc123secret']), 'token=[redacted] and [redacted]');
});
