import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import { AppModule, type AppModuleOptions } from '../app.module.js';
import { InvalidInputError } from '../common/domain/domain-error.js';
import { enforceRequestTimeout } from '../common/http/request-timeout.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../common/http/json-depth.js';
import { containsNul, urlHasEncodedNul } from '../common/http/nul-characters.js';
import { validationMessages } from '../common/http/validation-messages.js';
import { FastValidationPipe } from '../common/http/fast-validation.pipe.js';
import { requestIdFor } from '../common/http/request-id.js';
import { toErrorBody } from '../common/http/error-body.js';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { NestPinoLogger } from '../logging/nest-pino-logger.js';
import { observeRequests } from './request-observer.js';
import { mountConsole } from './console.js';
import { mountSwagger } from './swagger.js';

/** Builds the configured Nest application on Fastify, ready to `listen`. */
export async function createHttpApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const server = options.config.values.server;
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    // Fastify's own two lines per request are replaced by one line from observeRequests.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    // Errors Fastify raises before routing (an undecodable URL) get the API's error body too.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const body = toErrorBody(error);
      void reply.code(body.statusCode).send(body);
    },
    bodyLimit: server.body_limit_kb * 1024,
    requestTimeout: server.timeout * 1000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // No Nest middleware is used: without @fastify/middie no request passes its onRequest hook.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), adapter, {
    bufferLogs: true,
    abortOnError: false,
    // The API takes JSON only: no form parser, and Fastify's text/plain one is removed below, so
    // any other body is 415 unsupported_media_type instead of a string run through validation.
    bodyParser: false,
  });
  app.useLogger(new NestPinoLogger(options.logger));
  // class-validator's rules, compiled once per DTO for the valid case (fast-validation.pipe.ts).
  app.useGlobalPipes(
    new FastValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new InvalidInputError('validation_failed', validationMessages(errors).join('; ')),
    }),
  );
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's JSON parser (prototype-poisoning checks kept), then a depth limit.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: server.body_limit_kb * 1024 },
    (request, body, done) =>
      parseJson(request, body.toString('utf8'), (error, value) => {
        if (error) return done(error, undefined);
        if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
          return done(
            new InvalidInputError(
              'json_too_deep',
              `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`,
            ),
            undefined,
          );
        }
        if (containsNul(value)) return done(nulRefused('the JSON body'), undefined);
        done(null, value);
      }),
  );
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, _reply, done) => {
    done(urlHasEncodedNul(request.url) ? nulRefused('the URL') : undefined);
  });
  // Nest routes Fastify's own errors (body parsing, limits) through AllExceptionsFilter too.
  observeRequests(fastify, app.get(HttpMetrics));
  enforceRequestTimeout(fastify, server.timeout * 1000);
  mountSwagger(app);
  await mountConsole(app);
  await app.init();
  return app;
}

function nulRefused(where: string): InvalidInputError {
  return new InvalidInputError(
    'invalid_characters',
    `${where} holds a NUL character (U+0000), which is never accepted`,
  );
}
