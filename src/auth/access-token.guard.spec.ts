import { jest } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { AuthGuard } from '@nestjs/passport';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import passport from 'passport';
import { ManualClock, Clock } from '../common/domain/clock.js';
import { type DomainError } from '../common/domain/domain-error.js';
import { SequentialIds } from '../common/domain/ids.js';
import { AllExceptionsFilter } from '../common/http/all-exceptions.filter.js';
import { AppConfig } from '../config/app-config.js';
import { OrchestratorConfig } from '../config/config.schema.js';
import { SigningSecret } from '../config/signing-secret.js';
import { MemoryStateRepository } from '../state/memory-state.repository.js';
import { StateRepository } from '../state/state.repository.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { ACCESS_TOKEN_STRATEGY, AccessTokenStrategy } from './access-token.strategy.js';
import { type AuthenticatedRequest, Principal, Public, Roles } from './auth.decorators.js';
import { AuthFailures } from './auth-failures.js';
import { type AccessClaims } from './domain/token-claims.js';
import { RefusedSourceLimiter } from './refused-source-limiter.js';
import { SigningKeys } from './signing-keys.js';
import { TokenService } from './token.service.js';

@Controller('probe')
class ProbeController {
  @Public()
  @Get('open')
  open() {
    return { open: true };
  }

  @Get('any')
  any(@Principal() principal: AccessClaims) {
    return { sub: principal.sub };
  }

  @Roles('operator')
  @Get('ops')
  ops(@Principal() principal: AccessClaims) {
    return { sub: principal.sub };
  }
}

/** What the guard handed to AuthFailures: the error and whether the request carried a principal. */
interface Recorded {
  code: string;
  principal: AccessClaims | undefined;
}

interface Harness {
  app: NestFastifyApplication;
  tokens: TokenService;
  state: StateRepository;
  recorded: Recorded[];
  get(path: string, authorization?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function harness(refusalsPerMinute = 0): Promise<Harness> {
  const values = new OrchestratorConfig();
  values.security.auth_failure_rate_per_minute = refusalsPerMinute;
  const config = new AppConfig(values, {}, null, process.cwd());
  const clock = new ManualClock(Date.now());
  const state = new MemoryStateRepository();
  const tokens = new TokenService(
    new JwtService(),
    new SigningKeys(new SigningSecret('access-token-guard-spec-0123456789abcdef', [], 'test')),
    config,
    clock,
    new SequentialIds('jti'),
  );
  const recorded: Recorded[] = [];
  const failures = {
    record: (request: AuthenticatedRequest, err: DomainError) =>
      recorded.push({ code: err.code, principal: request.principal }),
  };
  const moduleRef = await Test.createTestingModule({
    controllers: [ProbeController],
    providers: [
      { provide: AppConfig, useValue: config },
      { provide: Clock, useValue: clock },
      { provide: TokenService, useValue: tokens },
      { provide: StateRepository, useValue: state },
      { provide: AuthFailures, useValue: failures },
      RefusedSourceLimiter,
      AccessTokenStrategy,
      { provide: APP_GUARD, useClass: AccessTokenGuard },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  // Real HTTP on an ephemeral port: Fastify's inject() needs require(esm), which Jest on Node 20 lacks.
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    app,
    tokens,
    state,
    recorded,
    get: async (path, authorization) => {
      const res = await fetch(`${url}${path}`, { headers: authorization ? { authorization } : {} });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
  };
}

const bearer = (token: string) => `Bearer ${token}`;

describe('AccessTokenGuard through Passport', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.app.close());
  beforeEach(() => {
    h.recorded.length = 0;
    jest.restoreAllMocks();
  });

  it("is @nestjs/passport's AuthGuard for the access-token strategy, which is registered with Passport", () => {
    expect(AccessTokenGuard.prototype).toBeInstanceOf(AuthGuard(ACCESS_TOKEN_STRATEGY));
    expect(registeredStrategy()).toBe(h.app.get(AccessTokenStrategy));
  });

  it('authenticates a valid token by passport.authenticate and sets the principal', async () => {
    const authenticate = jest.spyOn(passport, 'authenticate');
    const { token } = h.tokens.mintAccess({ role: 'agent', subject: 'agent-1' });
    const res = await h.get('/probe/any', bearer(token));
    expect(res).toEqual({ status: 200, body: { sub: 'agent-1' } });
    expect(authenticate).toHaveBeenCalledWith(ACCESS_TOKEN_STRATEGY, expect.anything(), expect.any(Function));
  });

  it('leaves public routes to anyone, without asking Passport', async () => {
    const authenticate = jest.spyOn(passport, 'authenticate');
    expect(await h.get('/probe/open')).toEqual({ status: 200, body: { open: true } });
    expect(authenticate).not.toHaveBeenCalled();
  });

  it.each([
    ['no header', 'missing_token', undefined],
    ['a Basic header', 'invalid_token', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['two tokens', 'invalid_token', 'Bearer a b'],
    ['a garbage token', 'invalid_token', 'Bearer not-a-jwt'],
  ])('answers %s with 401 %s, not a generic 401, and records that code', async (_name, code, header) => {
    const res = await h.get('/probe/any', header);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code });
    expect(h.recorded).toEqual([{ code, principal: undefined }]);
  });

  it('keeps the codes of TokenService and the revocation check', async () => {
    const expired = h.tokens.mintAccess({ role: 'agent', subject: 'a', ttlSeconds: -1 }).token;
    expect((await h.get('/probe/any', bearer(expired))).body).toMatchObject({ code: 'token_expired' });
    const revoked = h.tokens.mintAccess({ role: 'agent', subject: 'a' });
    await h.state.addRevocation(revoked.claims.jti, revoked.claims.exp);
    const res = await h.get('/probe/any', bearer(revoked.token));
    expect(res).toMatchObject({ status: 401, body: { code: 'token_revoked' } });
    expect(res.body.message).toBe('access token has been revoked');
    expect(h.recorded.map((r) => r.code)).toEqual(['token_expired', 'token_revoked']);
  });

  it('does not take a token from the query string (as passport-http-bearer would)', async () => {
    const { token } = h.tokens.mintAccess({ role: 'agent', subject: 'a' });
    const res = await h.get(`/probe/any?access_token=${token}`);
    expect(res).toMatchObject({ status: 401, body: { code: 'missing_token' } });
  });

  it('refuses a role the route does not admit with 403, recorded without a principal', async () => {
    const { token } = h.tokens.mintAccess({ role: 'agent', subject: 'agent-1' });
    const res = await h.get('/probe/ops', bearer(token));
    expect(res).toMatchObject({ status: 403, body: { code: 'insufficient_role' } });
    expect(res.body.message).toBe("role 'agent' may not call this endpoint (needs operator)");
    expect(h.recorded).toEqual([{ code: 'insufficient_role', principal: undefined }]);
    const admin = h.tokens.mintAccess({ role: 'admin', subject: 'root' }).token;
    expect(await h.get('/probe/ops', bearer(admin))).toEqual({ status: 200, body: { sub: 'root' } });
  });

  it('turns a strategy that fails without an error into invalid_token, never an UnauthorizedException', () => {
    const guard = new AccessTokenGuard(new Reflector(), {} as AuthFailures, {} as RefusedSourceLimiter);
    const context = { getHandler: () => ProbeController.prototype.any, getClass: () => ProbeController };
    expect(() => guard.handleRequest(null, false, undefined, context as never)).toThrow(
      expect.objectContaining({ code: 'invalid_token', kind: 'unauthorized' }),
    );
  });
});

const registeredStrategy = () =>
  (passport as unknown as { _strategy(name: string): unknown })._strategy(ACCESS_TOKEN_STRATEGY);

it('a closed app takes its strategy out of the process-wide Passport registry', async () => {
  const closing = await harness();
  expect(registeredStrategy()).toBe(closing.app.get(AccessTokenStrategy));
  await closing.app.close();
  expect(registeredStrategy()).toBeUndefined();
});

describe('AccessTokenGuard with the refused-source limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(2);
  });
  afterAll(() => h.app.close());

  it('answers refusals past the limit with 429 rate_limited while a valid token still passes', async () => {
    expect((await h.get('/probe/any', 'Bearer junk')).body).toMatchObject({ code: 'invalid_token' });
    expect((await h.get('/probe/any', 'Bearer junk')).body).toMatchObject({ code: 'invalid_token' });
    const limited = await h.get('/probe/any', 'Bearer junk');
    expect(limited).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
    expect(h.recorded.map((r) => r.code)).toEqual(['invalid_token', 'invalid_token', 'rate_limited']);
    const { token } = h.tokens.mintAccess({ role: 'agent', subject: 'a' });
    expect((await h.get('/probe/any', bearer(token))).status).toBe(200);
  });
});
