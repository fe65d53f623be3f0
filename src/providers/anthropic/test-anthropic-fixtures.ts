/**
 * Test support: the recorded Anthropic traffic in ../shared/fixtures/anthropic (see its NOTICE.md),
 * or $SWITCHYARD_FIXTURES_DIR/anthropic. Tests skip with `FIXTURES_SKIP` as the reason when absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fixturesRoot, fixturesSkip } from '../../../test/helpers/provider-replay.js';
import type { UpstreamResponse } from '../shared/upstream-client.js';

export const ANTHROPIC_FIXTURES = join(fixturesRoot(), 'anthropic');

/** `false` when the fixtures are there, else the reason to skip. */
export const FIXTURES_SKIP: string | false = fixturesSkip('anthropic');

export function readFixture(name: string): string | undefined {
  const path = join(ANTHROPIC_FIXTURES, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The payloads of a `.chunks.txt` recording, one JSON text per event. */
export function chunkLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

/** A recording framed as Anthropic sends it: `event: <type>\ndata: <json>\n\n` per payload. */
export function frameAsSse(lines: string[]): string {
  return lines.map((l) => `event: ${(JSON.parse(l) as { type: string }).type}\ndata: ${l}\n\n`).join('');
}

/**
 * A fake undici response body delivering `text` in `size`-byte pieces (splitting SSE frames, lines
 * and multi-byte characters at awkward places), asynchronously.
 */
export function chunkedBody(text: string, size: number): UpstreamResponse['body'] {
  const bytes = Buffer.from(text, 'utf8');
  const body = new PassThrough();
  let offset = 0;
  const pump = () => {
    if (offset >= bytes.length) {
      body.end();
      return;
    }
    body.write(bytes.subarray(offset, offset + size));
    offset += size;
    setImmediate(pump);
  };
  setImmediate(pump);
  return body as unknown as UpstreamResponse['body'];
}
