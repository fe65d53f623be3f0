/**
 * Test helpers for the mock upstream tests: raw HTTP calls through undici and a small SSE frame
 * splitter (test code only; excluded from the build by its `test-` prefix).
 */
import { request } from 'undici';

export interface SseFrame {
  event: string | undefined;
  data: string;
}

/** Splits an SSE body into frames (`event:` and `data:` lines; several data lines joined by \n). */
export function parseSseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export const OPENAI_HEADERS = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };
export const ANTHROPIC_HEADERS = {
  'x-api-key': 'sk-ant-test',
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};

/** POSTs JSON and reads the whole answer. */
export async function postJson(url: string, body: unknown, headers: Record<string, string>): Promise<RawResponse> {
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}
