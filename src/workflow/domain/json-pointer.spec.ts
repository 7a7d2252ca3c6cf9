import { jsonEqual, parsePointer, resolvePointer } from './json-pointer.js';

describe('JSON pointers', () => {
  it('parses RFC 6901 pointers and rejects others', () => {
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('/a/0/b~1c/d~0e')).toEqual(['a', '0', 'b/c', 'd~e']);
    expect(parsePointer('a/b')).toBeNull();
  });

  it('resolves through objects and arrays, undefined when missing', () => {
    const doc = { a: [{ b: 1 }], c: null };
    expect(resolvePointer(doc, ['a', '0', 'b'])).toBe(1);
    expect(resolvePointer(doc, ['a', '1', 'b'])).toBeUndefined();
    expect(resolvePointer(doc, ['a', '01'])).toBeUndefined();
    expect(resolvePointer(doc, ['a', 'length'])).toBeUndefined();
    expect(resolvePointer(doc, ['c', 'x'])).toBeUndefined();
    expect(resolvePointer(doc, ['toString'])).toBeUndefined();
  });

  it('compares JSON values structurally', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});
