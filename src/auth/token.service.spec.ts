import { JwtService } from '@nestjs/jwt';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { loadConfig } from '../config/config.loader.js';
import { SigningSecret } from '../config/signing-secret.js';
import { SigningKeys } from './signing-keys.js';
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
