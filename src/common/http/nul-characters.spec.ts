import { containsNul, urlHasEncodedNul } from './nul-characters.js';

describe('containsNul', () => {
  it.each([
    ['a top-level string', 'a\u0000'],
    ['a nested string', { a: [{ b: ['x', 'y\u0000z'] }] }],
    ['a key', { 'k\u0000': 1 }],
  ])('finds U+0000 in %s', (_, value) => expect(containsNul(value)).toBe(true));

  it.each([
    ['plain JSON', { a: [1, 'two', { three: null, four: true }] }],
    ['the escaped text \\u0000 (a backslash and five letters)', { path: '\\u0000' }],
    ['a deep value', JSON.parse('['.repeat(5000) + ']'.repeat(5000)) as unknown],
  ])('finds none in %s', (_, value) => expect(containsNul(value)).toBe(false));
});

describe('urlHasEncodedNul', () => {
  it('spots %00 in the path or the query, either case', () => {
    expect(urlHasEncodedNul('/api/v1/tasks/a%00b')).toBe(true);
    expect(urlHasEncodedNul('/api/v1/audit/query?task_id=%00')).toBe(true);
    expect(urlHasEncodedNul('/x?y=%2500')).toBe(false);
    expect(urlHasEncodedNul('/api/v1/tasks?status=queued')).toBe(false);
  });
});
