import { artifactPresent } from './artifact.checks.js';

describe('artifact_present', () => {
  it('passes when the artifact is there and fails when absent or null', () => {
    expect(artifactPresent.run({ design: {} }, { artifact: 'design' }).passed).toBe(true);
    expect(artifactPresent.run({ design: null }, { artifact: 'design' }).passed).toBe(false);
    expect(artifactPresent.run({}, { artifact: 'design' })).toMatchObject({
      passed: false,
      artifact: 'design',
    });
  });
});
