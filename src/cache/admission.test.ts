import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Admission } from './admission.js';

/** Keys shaped like the cache's (base64url SHA-256). */
const key = (s: string) => createHash('sha256').update(s).digest('base64url');

test('always: every miss is stored, however long nothing hits', () => {
  const a = new Admission();
  for (let i = 0; i < 100; i++) assert.equal(a.miss(key(`q${i}`), 'always', 3), true);
  assert.equal(a.secondSight, false);
  assert.equal(a.notAdmitted, 0);
});

test('adaptive: after `window` misses in a row a key is stored on its second sight; a hit turns first sight back on', () => {
  const a = new Admission();
  for (let i = 0; i < 3; i++) assert.equal(a.miss(key(`first${i}`), 'adaptive', 3), true, 'within the window, first sight stores');
  assert.equal(a.secondSight, true);
  assert.equal(a.miss(key('x'), 'adaptive', 3), false, 'first sight of x');
  assert.equal(a.miss(key('y'), 'adaptive', 3), false, 'first sight of y');
  assert.equal(a.miss(key('x'), 'adaptive', 3), true, 'second sight of x');
  assert.equal(a.miss(key('y'), 'adaptive', 3), true, 'second sight of y');
  assert.equal(a.notAdmitted, 2);
  a.hit();
  assert.equal(a.secondSight, false);
  assert.equal(a.miss(key('z'), 'adaptive', 3), true, 'first sight stores again after a hit');
});

test('adaptive: a raised window (a reload) stores on first sight until it is reached', () => {
  const a = new Admission();
  for (let i = 0; i < 2; i++) a.miss(key(`m${i}`), 'adaptive', 2);
  assert.equal(a.secondSight, true);
  assert.equal(a.miss(key('w'), 'adaptive', 4), true);
  assert.equal(a.secondSight, false);
  assert.equal(a.miss(key('v'), 'adaptive', 4), true);
  assert.equal(a.secondSight, true);
  assert.equal(a.miss(key('u'), 'adaptive', 4), false);
});

test('adaptive: the doorkeeper remembers tens of thousands of keys, and almost never admits an unseen one', () => {
  const a = new Admission();
  a.miss(key('warm'), 'adaptive', 1);
  const n = 20_000;
  let falseAdmits = 0;
  for (let i = 0; i < n; i++) if (a.miss(key(`k${i}`), 'adaptive', 1)) falseAdmits++;
  assert.equal(falseAdmits, 0, 'a key never seen is not stored');
  let remembered = 0;
  for (let i = 0; i < n; i++) if (a.miss(key(`k${i}`), 'adaptive', 1)) remembered++;
  // 20,000 keys in 131,072 slots: a key is lost when a later one took its slot (about 7 %), and
  // here also when a lost key seen again took the slot of one asked after it (as many again).
  assert.ok(remembered > n * 0.8, `remembered ${remembered} of ${n}`);
});
