/**
 * What the server process loads: the static import graph of the CLI and startGateway holds no
 * code it may never run. Provider types with code of their own (Bedrock with the AWS SDK, Gemini)
 * are imported when a config uses them, the config validator (zod, yaml) runs in a thread that
 * exits, and the mock upstream belongs to its own command.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('./', import.meta.url));

/** Files reached through static imports (not `import type`, not `await import()`), and the packages they name. */
function staticGraph(entries: string[]): { files: Set<string>; packages: Set<string>; edges: Array<[string, string]> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const edges: Array<[string, string]> = [];
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      edges.push([relative(SRC, file), spec]);
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  for (const e of entries) visit(join(SRC, e));
  return { files, packages, edges };
}

describe('the server process imports only the server', () => {
  const graph = staticGraph(['cli.ts', 'start-gateway.ts']);

  it('walks the graph', () => {
    assert.ok(graph.files.size > 20, `walked ${graph.files.size} files`);
    assert.ok(graph.packages.has('undici'), [...graph.packages].join(', '));
  });

  it('names no client library of an optional backend: ioredis, pg and hnswlib-node load on use', () => {
    // storage/load-on-use.ts: a config without Redis, Postgres or a semantic index never loads them
    // (about 30 MB of RSS at idle).
    assert.deepEqual(
      ['ioredis', 'pg', 'hnswlib-node'].filter((p) => graph.packages.has(p)),
      [],
      graph.edges.filter(([, spec]) => /^(ioredis|pg|hnswlib-node)$/.test(spec)).map(([from, spec]) => `${from} imports ${spec}`).join('; '),
    );
  });

  it('has no provider code loaded on demand, no config validator and no mock upstream', () => {
    const offenders = graph.edges.filter(([from, spec]) => {
      if (/^(zod|yaml|@smithy\/|@aws-sdk\/|@aws-crypto\/)/.test(spec)) return true;
      if (!spec.startsWith('.')) return false;
      const target = relative(SRC, join(SRC, dirname(from), spec));
      return /^(providers\/(bedrock|gemini)|mock-upstream)\//.test(target) || /^config\/(?!config-error\.js$)/.test(target);
    });
    assert.deepEqual(
      offenders.map(([from, spec]) => `${from} imports ${spec}`),
      [],
    );
  });
});
