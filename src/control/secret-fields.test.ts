import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PROVIDERS_KIND } from './entity-kinds.js';
import { createSecretBox, isSealed } from './secret-box.js';
import type { JsonObject } from './secret-fields.js';
import { openEntity, redactEntity, redactValue, sealEntity } from './secret-fields.js';

const box = createSecretBox(randomBytes(32));
const secrets = PROVIDERS_KIND.secrets;

describe('secret fields', () => {
  it('redacts to **** and the last four; env references and short values as they must', () => {
    assert.equal(redactValue('sk-abcdefghijklmnop'), '****mnop');
    assert.equal(redactValue('short'), '****');
    assert.equal(redactValue('env.OPENAI_API_KEY'), 'env.OPENAI_API_KEY');
  });

  it('seals literals, keeps env references, opens for compiling', () => {
    const body: JsonObject = { type: 'bedrock', keys: [{ value: 'sk-aaaaaaaaaaaa1111' }, { value: 'env.KEY' }], credentials: { access_key_id: 'AKIDXXXXXXXX2222', secret_access_key: 'secretsecret3333' } };
    const r = sealEntity({ body, previous: undefined, secrets, box, howToKey: 'set it' });
    assert.ok('body' in r);
    const sealed = r.body as any;
    assert.ok(isSealed(sealed.keys[0].value));
    assert.equal(sealed.keys[1].value, 'env.KEY');
    assert.ok(isSealed(sealed.credentials.secret_access_key));
    assert.deepEqual(openEntity(sealed, secrets, box), body);
    const shown = redactEntity(sealed, secrets, box) as any;
    assert.equal(shown.keys[0].value, '****1111');
    assert.equal(shown.credentials.access_key_id, '****2222');
  });

  it('without a key, literals are refused with the path; env references pass', () => {
    const r = sealEntity({ body: { keys: [{ value: 'env.A' }, { value: 'literal-secret-0000' }] }, previous: undefined, secrets, box: undefined, howToKey: 'set SWITCHYARD_SECRET_KEY' });
    assert.ok('problems' in r);
    assert.deepEqual(r.problems.map((p) => p.path), [['keys', 1, 'value']]);
    assert.match(r.problems[0]!.message, /set SWITCHYARD_SECRET_KEY/);
  });

  it('a redacted form sent back keeps the stored secret, matched by key id across a reorder', () => {
    const first = sealEntity({ body: { keys: [{ id: 'a', value: 'sk-first-key-aaaa' }, { id: 'b', value: 'sk-second-key-bbbb' }] }, previous: undefined, secrets, box, howToKey: '' });
    assert.ok('body' in first);
    const again = sealEntity({ body: { keys: [{ id: 'b', value: '****bbbb' }, { id: 'a', value: '****aaaa' }] }, previous: first.body, secrets, box, howToKey: '' });
    assert.ok('body' in again);
    assert.deepEqual(openEntity(again.body, secrets, box), { keys: [{ id: 'b', value: 'sk-second-key-bbbb' }, { id: 'a', value: 'sk-first-key-aaaa' }] });
    const wrong = sealEntity({ body: { keys: [{ id: 'a', value: '****zzzz' }] }, previous: first.body, secrets, box, howToKey: '' });
    assert.ok('problems' in wrong);
  });
});
