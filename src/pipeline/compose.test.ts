import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compose } from './compose.js';

test('middleware run outermost first, each around the rest of the chain', async () => {
  const trace: string[] = [];
  const run = compose<{ n: number }, string>(
    [
      async (ctx, next) => {
        trace.push('a>');
        const r = await next();
        trace.push('<a');
        return `a(${r})`;
      },
      async (ctx, next) => {
        trace.push('b>');
        ctx.n++;
        return `b(${await next()})`;
      },
    ],
    async (ctx) => `end${ctx.n}`,
  );
  assert.equal(await run({ n: 0 }), 'a(b(end1))');
  assert.deepEqual(trace, ['a>', 'b>', '<a']);
});

test('no middleware: the chain is the terminal itself', () => {
  const terminal = async () => 'x';
  assert.equal(compose([], terminal), terminal);
});

test('next() may be called more than once: each call runs the rest of the chain again', async () => {
  let calls = 0;
  const run = compose<object, number>([async (_ctx, next) => (await next()) + (await next())], async () => ++calls);
  assert.equal(await run({}), 3);
  assert.equal(calls, 2);
});

test('a middleware refuses by throwing: the rest of the chain never runs', async () => {
  let reached = false;
  const run = compose<object, string>(
    [
      async () => {
        throw new Error('refused');
      },
    ],
    async () => {
      reached = true;
      return 'x';
    },
  );
  await assert.rejects(run({}), /refused/);
  assert.equal(reached, false);
});
