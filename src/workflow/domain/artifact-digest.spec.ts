import { createHash } from 'node:crypto';
import { artifactDigest, DIGEST_PATTERN } from './artifact-digest.js';

describe('artifactDigest', () => {
  it('is SHA-256 of the RFC 8785 canonical JSON', () => {
    const canonical = '{"a":[1,"x",null],"b":{"c":true,"d":2.5}}';
    expect(artifactDigest({ b: { d: 2.5, c: true }, a: [1, 'x', null] })).toBe(
      `sha256:${createHash('sha256').update(canonical).digest('hex')}`,
    );
    expect(artifactDigest({})).toMatch(DIGEST_PATTERN);
  });

  it('ignores key order and spacing, and sees every other change', () => {
    const base = artifactDigest(JSON.parse('{"plan": {"steps": ["a", "b"], "title": "t"}}'));
    expect(artifactDigest(JSON.parse('{ "plan":{"title":"t","steps":["a","b"]} }'))).toBe(base);
    expect(artifactDigest({ plan: { title: 't', steps: ['b', 'a'] } })).not.toBe(base);
    expect(artifactDigest({ plan: { title: 't', steps: ['a', 'b'] }, more: 1 })).not.toBe(base);
    expect(artifactDigest({ plan: { title: 't ', steps: ['a', 'b'] } })).not.toBe(base);
  });
});
