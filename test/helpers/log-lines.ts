/**
 * Helpers for tests that search what the gateway wrote for secrets: a log destination that keeps
 * each complete line, and an assertion that a text holds none of a set of secrets.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';

/** A logger destination that appends every complete line written to it to `lines`. */
export function lineCollector(lines: string[]): Writable {
  let buf = '';
  return new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      cb();
    },
  });
}

/**
 * An assertion that `text` (named `where` in the failure) contains none of the secrets `secrets()`
 * returns at the time of the call; the message shows only a secret's first six characters.
 */
export function secretAssertion(secrets: () => readonly string[]): (where: string, text: string) => void {
  return (where, text) => {
    for (const s of secrets()) assert.ok(!text.includes(s), `${where} contains the secret "${s.slice(0, 6)}…"`);
  };
}
