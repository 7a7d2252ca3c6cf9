import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LoggingConfig } from '../config/config.schema.js';
import { createRootLogger, pinoLevelOf } from './logger.factory.js';

function capture(): { stream: Writable & { write: (chunk: string) => boolean }; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream: stream as never, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

function logging(overrides: Partial<LoggingConfig>): LoggingConfig {
  return Object.assign(new LoggingConfig(), overrides);
}

describe('createRootLogger', () => {
  it('writes JSON lines at or above the configured level', () => {
    const out = capture();
    const logger = createRootLogger(logging({ level: 'WARNING' }), '/tmp', { console: out.stream });
    logger.info('hidden');
    logger.warn({ a: 1 }, 'shown');
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'shown', a: 1 });
  });

  it('writes human-readable text when format is text', () => {
    const out = capture();
    createRootLogger(logging({ format: 'text' }), '/tmp', { console: out.stream }).info('hello text');
    expect(out.lines()[0]).toContain('INFO');
    expect(out.lines()[0]).toContain('hello text');
    expect(() => JSON.parse(out.lines()[0])).toThrow();
  });

  it('writes to logging.file (relative to the base dir) and not the console when console is false', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-log-'));
    const out = capture();
    const logger = createRootLogger(logging({ console: false, file: 'logs/api.log' }), dir, {
      console: out.stream,
    });
    logger.info({ duration: 3 }, 'to file');
    logger.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(out.lines()).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'logs/api.log'), 'utf8').trim())).toMatchObject({
      msg: 'to file',
      duration: 3,
    });
  });

  it('redacts tokens in fields and messages', () => {
    const out = capture();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    const logger = createRootLogger(logging({}), '/tmp', { console: out.stream });
    logger.info(
      { headers: { authorization: `Bearer ${jwt}` }, phase_token: jwt, body: { note: jwt } },
      `got ${jwt}`,
    );
    expect(out.lines().join('')).not.toContain(jwt);
    expect(out.lines().join('')).not.toContain('c2lnbmF0dXJl');
  });

  it('maps the guide level names onto pino levels', () => {
    expect(pinoLevelOf('DEBUG')).toBe('debug');
    expect(pinoLevelOf('WARNING')).toBe('warn');
    expect(pinoLevelOf('CRITICAL')).toBe('fatal');
  });
});
