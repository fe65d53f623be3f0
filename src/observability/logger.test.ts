import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, isoTimeEachMs, lazyChild } from './logger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof logger.child;
  return { logger, lines, children: () => children };
}

describe('lazyChild', () => {
  it('logs with its bindings, redacted like the parent', async () => {
    const { logger, lines, children } = capture('info');
    const log = lazyChild(logger, { requestId: 'r1' });
    assert.equal(children(), 0);
    log.warn({ key: { value: 'sk-secret' } }, 'failed');
    log.info('again');
    assert.equal(children(), 1);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.requestId, 'r1');
    assert.equal(lines[0]!.msg, 'failed');
    assert.deepEqual(lines[0]!.key, { value: '[redacted]' });
    assert.equal(lines[1]!.requestId, 'r1');
  });

  it('makes no child for a level that is off', () => {
    const { logger, lines, children } = capture('info');
    const log = lazyChild(logger, { requestId: 'r2' });
    log.debug({ big: 'object' }, 'not shown');
    assert.equal(log.isLevelEnabled('debug'), false);
    assert.equal(lines.length, 0);
    assert.equal(children(), 0);
  });
});

describe('isoTimeEachMs', () => {
  it("writes pino's isoTime field for the current millisecond", () => {
    const before = Date.now();
    const m = /^,"time":"(.+)"$/.exec(isoTimeEachMs());
    assert.ok(m, 'the field as pino splices it into a line');
    const t = Date.parse(m[1]!);
    assert.ok(t >= before && t <= Date.now());
    assert.equal(new Date(t).toISOString(), m[1]);
  });
});
