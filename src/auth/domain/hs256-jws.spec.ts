import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signHs256 } from './hs256-jws.js';

describe('signHs256', () => {
  const key = createSecretKey(Buffer.from('k'.repeat(64), 'utf8'));
  const claims = { typ: 'phase', sub: 'agent-1', allowed_tools: ['read_files'], ver: 2, iat: 10, exp: 4e9 };

  it('makes the token jsonwebtoken makes for the same claims, key and key id', () => {
    const ours = signHs256(claims, key, 'kid-1');
    expect(ours).toBe(jwt.sign(claims, key, { algorithm: 'HS256', keyid: 'kid-1' }));
    expect(jwt.verify(ours, key, { algorithms: ['HS256'] })).toEqual(claims);
    expect(jwt.decode(ours, { complete: true })?.header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'kid-1' });
  });

  it('does not verify under another key', () => {
    const other = createSecretKey(Buffer.from('o'.repeat(64), 'utf8'));
    expect(() => jwt.verify(signHs256(claims, key, 'kid-1'), other, { algorithms: ['HS256'] })).toThrow(
      /invalid signature/,
    );
  });
});
