import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tuneHeapForRequests } from './heap-tuning.js';

describe('tuneHeapForRequests', () => {
  test('turns allocation-site pretenuring off by default', () => {
    assert.deepEqual(tuneHeapForRequests([]), { pretenuring: 'off' });
    assert.deepEqual(tuneHeapForRequests(['--max-old-space-size=512', '--import', 'tsx']), { pretenuring: 'off' });
  });

  test('leaves the choice of whoever started node with the flag', () => {
    for (const flag of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--allocation_site_pretenuring']) {
      assert.deepEqual(tuneHeapForRequests([flag]), { pretenuring: 'as started' }, flag);
    }
  });
});
