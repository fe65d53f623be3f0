/**
 * What writing the embedded semantic index's rows to SQLite costs the event loop: the same batches
 * written in line and handed to the writer thread, side by side in one run. Each round adds
 * `--rows` entries (a quarter second of a busy cache) and times the flush on the main thread.
 *
 *   node --import tsx bench/semantic-flush.ts [--dims 1536] [--rows 250] [--rounds 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedSemanticIndex } from '../src/cache/embedded-semantic-index.js';
import { openSqlite } from '../src/storage/sqlite-driver.js';

const { values } = parseArgs({ options: { dims: { type: 'string', default: '1536' }, rows: { type: 'string', default: '250' }, rounds: { type: 'string', default: '8' } } });
const dims = Number(values.dims);
const rows = Number(values.rows);
const rounds = Number(values.rounds);

/** An answer's JSON of about the size the mock's answers have. */
const value = JSON.stringify({ v: 1, response: { id: 'bench', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'x'.repeat(400) }], finishReason: 'stop', usage: { inputTokens: 20, outputTokens: 100 } } });

async function open(thread: boolean): Promise<{ idx: EmbeddedSemanticIndex; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-semantic-flush-'));
  const file = join(dir, 'cache.db');
  const db = await openSqlite(file);
  db.exec('PRAGMA journal_mode = WAL');
  const idx = EmbeddedSemanticIndex.open(db, Date.now(), thread ? { writerPath: file } : {});
  await idx.loaded;
  return { idx, dir };
}

const modes = { 'in line': await open(false), 'writer thread': await open(true) };
const times: Record<string, number[]> = { 'in line': [], 'writer thread': [] };
let seq = 0;
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always runs on a warmer machine.
  const order = r % 2 ? (['writer thread', 'in line'] as const) : (['in line', 'writer thread'] as const);
  for (const mode of order) {
    const { idx } = modes[mode];
    for (let i = 0; i < rows; i++) {
      seq++;
      await idx.add({ namespace: 'global', contextKey: `c${seq}`, vector: Array.from({ length: dims }, (_, j) => Math.sin(seq + j)), value, expiresAt: Date.now() + 3_600_000 });
    }
    const t = performance.now();
    idx.flush();
    times[mode]!.push(performance.now() - t);
  }
}
for (const { idx, dir } of Object.values(modes)) {
  await idx.close();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${rounds} rounds of ${rows} rows, ${dims} dimensions: the event loop's time a flush (median, max)`);
for (const [mode, xs] of Object.entries(times)) {
  console.log(`  ${mode.padEnd(13)} ${median(xs).toFixed(2)} ms, ${Math.max(...xs).toFixed(2)} ms; ${((median(xs) * 1000) / rows).toFixed(1)} µs a row`);
}
console.log(`  writer thread ÷ in line: ${((100 * median(times['writer thread']!)) / median(times['in line']!)).toFixed(1)} %`);
