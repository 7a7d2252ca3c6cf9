import { roleSatisfies } from './token-claims.js';

describe('roleSatisfies', () => {
  it('admits the listed role', () => {
    expect(roleSatisfies('agent', ['agent'])).toBe(true);
    expect(roleSatisfies('operator', ['operator'])).toBe(true);
  });
  it('lets admin use operator routes but not agent routes', () => {
    expect(roleSatisfies('admin', ['operator'])).toBe(true);
    expect(roleSatisfies('admin', ['agent'])).toBe(false);
  });
  it('refuses agents on operator routes and operators on admin routes', () => {
    expect(roleSatisfies('agent', ['operator'])).toBe(false);
    expect(roleSatisfies('operator', ['admin'])).toBe(false);
  });
});
