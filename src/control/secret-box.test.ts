import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSecretBox, isSealed, parseSecretKey, SecretKeyError } from './secret-box.js';

describe('secret box', () => {
  const key = randomBytes(32);

  it('seals and opens; each seal differs; the text never shows', () => {
    const box = createSecretBox(key);
    const a = box.seal('sk-live-secret-value');
    const b = box.seal('sk-live-secret-value');
    assert.ok(isSealed(a) && a !== b);
    assert.ok(!a.includes('secret'));
    assert.equal(box.open(a), 'sk-live-secret-value');
  });

  it('another key cannot open it, and says what to do', () => {
    const sealed = createSecretBox(key).seal('x');
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed), /every replica must use the key/);
  });

  it('a tampered value is refused', () => {
    const box = createSecretBox(key);
    const sealed = box.seal('value');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    assert.throws(() => box.open(tampered), SecretKeyError);
  });

  it('parses base64 and hex keys; refuses others with the fix', () => {
    assert.equal(parseSecretKey(undefined), undefined);
    assert.equal(parseSecretKey(''), undefined);
    assert.deepEqual(parseSecretKey(key.toString('base64')), key);
    assert.deepEqual(parseSecretKey(key.toString('hex')), key);
    assert.throws(() => parseSecretKey('too-short'), /SWITCHYARD_SECRET_KEY must be 32 bytes.*openssl rand -base64 32/);
  });
});
