import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Observable, TimeoutError, catchError, throwError, timeout } from 'rxjs';
import { AppConfig } from '../../config/app-config.js';
import { UnavailableError } from '../domain/domain-error.js';

const NO_TIMEOUT = 'orchestrator:no-timeout';
/** Exempts a long-lived route (e.g. an event stream) from `server.timeout`. */
export const NoRequestTimeout = () => SetMetadata(NO_TIMEOUT, true);

/** Answers 503 `request_timeout` when a handler runs longer than `server.timeout` seconds. */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  private readonly ms: number;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.ms = config.values.server.timeout * 1000;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.getAllAndOverride<boolean>(NO_TIMEOUT, [context.getHandler(), context.getClass()])) {
      return next.handle();
    }
    return next.handle().pipe(
      timeout(this.ms),
      catchError((err: unknown) =>
        throwError(() =>
          err instanceof TimeoutError
            ? new UnavailableError(
                'request_timeout',
                `request took longer than server.timeout (${this.ms / 1000} s)`,
              )
            : err,
        ),
      ),
    );
  }
}
