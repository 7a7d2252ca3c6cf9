import { Writable } from 'node:stream';
import { Logger as NestLogger } from '@nestjs/common';
import { LoggingConfig } from '../config/config.schema.js';
import { createRootLogger } from './logger.factory.js';
import { NestPinoLogger } from './nest-pino-logger.js';

function setup(level: LoggingConfig['level'] = 'TRACE') {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const root = createRootLogger(Object.assign(new LoggingConfig(), { level }), '/tmp', {
    console: stream as never,
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { root, nest: new NestPinoLogger(root), lines };
}

describe('NestPinoLogger', () => {
  it("writes a Nest Logger's context as a field, at the matching pino level", () => {
    const { nest, lines } = setup();
    nest.log('ready', 'AuditTrail');
    nest.warn('careful', 'EventBus');
    nest.verbose('detail', 'X');
    nest.debug('debugging', 'Y');
    nest.fatal('gone', 'Z');
    expect(lines().map((l) => [l.level, l.msg, l.context])).toEqual([
      ['info', 'ready', 'AuditTrail'],
      ['warn', 'careful', 'EventBus'],
      ['trace', 'detail', 'X'],
      ['debug', 'debugging', 'Y'],
      ['fatal', 'gone', 'Z'],
    ]);
  });

  it('keeps an object message as fields and an Error as err', () => {
    const { nest, lines } = setup();
    nest.log({ seq: 3, file: 'a' }, 'Audit');
    nest.error(new Error('disk full'), 'Store');
    const [object, error] = lines();
    expect(object).toMatchObject({ seq: 3, file: 'a', context: 'Audit' });
    expect(error).toMatchObject({ level: 'error', msg: 'disk full', context: 'Store' });
    expect((error.err as { message: string }).message).toBe('disk full');
  });

  it("takes Nest's error(message, stack, context) stack as err.stack", () => {
    const { nest, lines } = setup();
    nest.error('boom', 'Error: boom\n    at f (x.js:1:1)', 'ExceptionsHandler');
    expect(lines()[0]).toMatchObject({
      msg: 'boom',
      context: 'ExceptionsHandler',
      err: { message: 'boom', stack: expect.stringContaining('at f') },
    });
  });

  it('writes nothing below the configured level', () => {
    const { nest, lines } = setup('WARNING');
    nest.log('hidden', 'A');
    nest.debug('hidden', 'A');
    nest.warn('shown', 'A');
    expect(lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it("serves Nest's static Logger once installed", () => {
    const { nest, lines } = setup();
    NestLogger.overrideLogger(nest);
    try {
      new NestLogger('Named').log('via Nest');
    } finally {
      NestLogger.overrideLogger(false);
    }
    expect(lines()).toEqual([expect.objectContaining({ msg: 'via Nest', context: 'Named' })]);
  });

  it('redacts secrets in messages, as every line is', () => {
    const { nest, lines } = setup();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    nest.log(`token ${jwt}`, 'Auth');
    expect(JSON.stringify(lines())).not.toContain(jwt);
  });
});
