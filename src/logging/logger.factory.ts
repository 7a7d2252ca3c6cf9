import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino, { type DestinationStream, type Level, type Logger, type StreamEntry } from 'pino';
import PinoPretty from 'pino-pretty';
import { type LoggingConfig } from '../config/config.schema.js';
import { redactSecrets, redactText } from '../common/domain/redaction.js';

const LEVELS: Readonly<Record<LoggingConfig['level'], Level | 'silent'>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
  SILENT: 'silent',
};

export function pinoLevelOf(level: LoggingConfig['level']): Level | 'silent' {
  return LEVELS[level];
}

/**
 * The process's root pino logger, per `logging.*`: JSON or human text, to the console
 * and/or a file. Every line passes through secret redaction before it is written.
 */
export function createRootLogger(
  logging: LoggingConfig,
  baseDir: string,
  options: { console?: DestinationStream } = {},
): Logger {
  const streams: StreamEntry[] = [];
  const level = pinoLevelOf(logging.level);
  if (logging.console) {
    const out = options.console ?? pino.destination({ dest: 1, sync: true });
    streams.push({ level: 'trace', stream: logging.format === 'text' ? pretty(out) : out });
  }
  if (logging.file) {
    const path = resolve(baseDir, logging.file);
    mkdirSync(dirname(path), { recursive: true });
    const file = pino.destination({ dest: path, sync: false, append: true });
    streams.push({ level: 'trace', stream: logging.format === 'text' ? pretty(file) : file });
  }
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactText(a) : a));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    streams.length > 0 ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
}

function pretty(destination: DestinationStream): DestinationStream {
  return PinoPretty({ colorize: false, translateTime: 'SYS:standard', destination, sync: true });
}
