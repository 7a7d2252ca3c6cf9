import { type LoggerService } from '@nestjs/common';
import { type Logger, type LogFn } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A Nest stack trace passed as the second argument of `error(message, stack, context)`. */
const STACK = /\n\s*at /;

/**
 * Nest's `LoggerService` over the process's pino logger: a Nest `Logger`'s context (its class
 * name) becomes the `context` field. Written here instead of nestjs-pino, whose per-request
 * middleware (middie + an AsyncLocalStorage `run`, whose promise hooks every promise then pays)
 * bound such lines to the request's child logger, and whose only release for Nest 12 declares
 * Node >= 22.12. A request's own line (the access line or its audit entry) carries its id.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }

  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }

  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }

  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }

  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }

  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  private write(level: Level, message: unknown, optional: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const log: LogFn = this.root[level].bind(this.root);
    const fields: Record<string, unknown> = {};
    // Nest's Logger passes its context last; anything before it is pino's printf arguments.
    let rest = optional;
    if (typeof optional.at(-1) === 'string') {
      fields['context'] = optional.at(-1);
      rest = optional.slice(0, -1);
    }
    if (message instanceof Error) {
      fields['err'] = message;
      log(fields, message.message, ...rest);
    } else if (typeof message === 'object' && message !== null) {
      log(Object.assign(fields, message), ...(rest as []));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && STACK.test(rest[0])) {
      fields['err'] = { message: String(message), stack: rest[0] };
      log(fields, String(message));
    } else {
      log(fields, String(message), ...rest);
    }
  }
}
