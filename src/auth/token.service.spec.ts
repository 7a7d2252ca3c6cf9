import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { loadConfig } from '../config/config.loader.js';
import { SigningSecret } from '../config/signing-secret.js';
import { TOKEN_ISSUER } from './domain/token-claims.js';
import { keyIdOf, SigningKeys } from './signing-keys.js';
import { TokenService } from './token.service.js';
import { errorCodeOf } from '../../test/support/domain-errors.js';

const SECRET = 'token-service-spec-secret-0123456789abcdef';

function service(clock: ManualClock, secret = SECRET): TokenService {
  const dir = mkdtempSync(join(tmpdir(), 'token-service-'));
  const config = loadConfig({ cwd: dir, env: {}, systemConfigPath: join(dir, 'none') });
  return new TokenService(
    new JwtService(),
    new SigningKeys(new SigningSecret(secret, [], 'test')),
    config,
    clock,
    new SequentialIds('jti'),
  );
}

describe('TokenService.verify', () => {
  it('refuses a token it verified before once it has expired', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const tokens = service(clock);
    const { token } = tokens.mintAccess({ role: 'agent', subject: 'a1', ttlSeconds: 60 });
    expect(tokens.verify(token, 'access').sub).toBe('a1');
    clock.advance(59_000);
    expect(tokens.verify(token, 'access').sub).toBe('a1');
    clock.advance(1_000);
    expect(errorCodeOf(() => tokens.verify(token, 'access'))).toBe('token_expired');
  });

  it('refuses a verified token presented as the other type, every time', () => {
    const tokens = service(new ManualClock(Date.UTC(2026, 0, 1)));
    const { token } = tokens.mintAccess({ role: 'agent', subject: 'a1' });
    expect(tokens.verify(token, 'access').typ).toBe('access');
    expect(errorCodeOf(() => tokens.verify(token, 'phase'))).toBe('wrong_token_type');
    expect(errorCodeOf(() => tokens.verify(token, 'phase'))).toBe('wrong_token_type');
  });

  it('does not accept a token signed with another secret, nor a tampered copy of a verified one', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const tokens = service(clock);
    const foreign = service(clock, 'another-secret-0123456789abcdef0123456789').mintAccess({
      role: 'admin',
      subject: 'x',
    });
    expect(errorCodeOf(() => tokens.verify(foreign.token, 'access'))).toBe('invalid_token');
    const { token } = tokens.mintAccess({ role: 'agent', subject: 'a1' });
    tokens.verify(token, 'access');
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ typ: 'access', sub: 'a1', role: 'admin' })).toString(
      'base64url',
    );
    expect(errorCodeOf(() => tokens.verify(`${header}.${payload}.${signature}`, 'access'))).toBe(
      'invalid_token',
    );
  });

  it('hands out claims nobody can change', () => {
    const tokens = service(new ManualClock(Date.UTC(2026, 0, 1)));
    const { token } = tokens.mintAccess({ role: 'agent', subject: 'a1' });
    const claims = tokens.verify(token, 'access');
    expect(() => {
      (claims as { role: string }).role = 'admin';
    }).toThrow(TypeError);
    expect(tokens.verify(token, 'access').role).toBe('agent');
  });
});

describe('TokenService.verify of tokens signed with the real secret', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const now = Math.floor(clock.now() / 1000);
  const forge = (claims: Record<string, unknown>) =>
    jwt.sign(claims, SECRET, { algorithm: 'HS256', keyid: keyIdOf(SECRET), noTimestamp: !('iat' in claims) });
  const complete = {
    typ: 'access',
    iss: TOKEN_ISSUER,
    sub: 'a1',
    role: 'agent',
    iat: now,
    exp: now + 60,
    jti: 'j1',
    orig_iat: now,
  };

  it.each(['exp', 'iat', 'jti', 'sub', 'role', 'typ'])('refuses one without %s', (claim) => {
    const claims: Record<string, unknown> = { ...complete };
    delete claims[claim];
    expect(errorCodeOf(() => service(clock).verify(forge(claims), 'access'))).toBe('token_claim_missing');
  });

  it('refuses an object sub, an unknown role and an unknown typ', () => {
    const tokens = service(clock);
    expect(errorCodeOf(() => tokens.verify(forge({ ...complete, sub: { id: 'a1' } }), 'access'))).toBe(
      'token_claim_invalid',
    );
    expect(errorCodeOf(() => tokens.verify(forge({ ...complete, role: 'root' }), 'access'))).toBe(
      'unknown_role',
    );
    expect(errorCodeOf(() => tokens.verify(forge({ ...complete, typ: 'id' }), 'access'))).toBe(
      'unknown_token_type',
    );
  });

  it('accepts every token it mints itself', () => {
    const tokens = service(clock);
    const access = tokens.mintAccess({ role: 'operator', subject: 'op-1' });
    expect(tokens.verify(access.token, 'access').jti).toBe(access.claims.jti);
    const phase = tokens.mintPhase({
      agentId: 'a1',
      taskId: 't1',
      phase: 'PLAN',
      allowedTools: ['read_files'],
      version: 1,
    });
    expect(tokens.verify(phase.token, 'phase').ver).toBe(1);
  });
});
