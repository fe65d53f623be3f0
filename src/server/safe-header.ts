/**
 * Response header values the gateway builds from client input (unmapped field names, model names,
 * request ids) may hold any character. Node refuses control and non-Latin-1 characters in a header
 * value (ERR_INVALID_CHAR) and clients refuse very long ones, so every value is made safe where
 * headers are written: characters outside printable ASCII are percent-encoded as UTF-8 (as in
 * RFC 8187), and overlong values are cut, with "..." at the end.
 */

/** Longest header value written, in bytes (clients cap the whole header block at 8–16 KB). */
export const MAX_HEADER_VALUE_LENGTH = 2048;

const UNSAFE = /[^\x20-\x7e]/;
const UNSAFE_RUNS = /[^\x20-\x7e]+/g;

function percentEncode(run: string): string {
  // Buffer.from replaces a lone surrogate with U+FFFD rather than throwing (encodeURIComponent would).
  let out = '';
  for (const b of Buffer.from(run, 'utf8')) out += (b < 16 ? '%0' : '%') + b.toString(16).toUpperCase();
  return out;
}

/** A header value Node accepts and clients read: printable ASCII, at most MAX_HEADER_VALUE_LENGTH. */
export function safeHeaderValue(value: string): string {
  const v = UNSAFE.test(value) ? value.replace(UNSAFE_RUNS, percentEncode) : value;
  if (v.length <= MAX_HEADER_VALUE_LENGTH) return v;
  // Too long: cut between characters, never inside a character's escapes, and mark the cut.
  const room = MAX_HEADER_VALUE_LENGTH - 3;
  let out = '';
  for (const ch of value) {
    const piece = UNSAFE.test(ch) ? percentEncode(ch) : ch;
    if (out.length + piece.length > room) break;
    out += piece;
  }
  return out + '...';
}

/** The same headers with every value made safe; the object itself when nothing needed it. */
export function safeHeaders(headers: Record<string, string>): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const k in headers) {
    const v = headers[k]!;
    if (v.length <= MAX_HEADER_VALUE_LENGTH && !UNSAFE.test(v)) continue;
    out ??= { ...headers };
    out[k] = safeHeaderValue(v);
  }
  return out ?? headers;
}
